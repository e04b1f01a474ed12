// Benchmark of the result browser (@themis/serve) on a local/csv experiment of mixed rows,
// beside what a page would otherwise do: fetch the whole table (`load()` + JSON, what a
// naive server ships) and filter or sort it in memory. Then, in Chromium when installed,
// the page targets: first rows visible after navigation, row elements in the DOM
// while scrolling, and how late live progress reaches the page. Also a static export
// (`themis serve --export DIR`) beside writing the table into one JSON file.
//
//   node bench/serve.bench.ts                    BENCH_SCALE=small (default): 20k rows
//   BENCH_SCALE=full node bench/serve.bench.ts   100k rows (the size)
//
// Figures are printed, never asserted on.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Project, type RunRecord, type Row } from "@themis/core";
import { localCsvBackend } from "@themis/backend-local-csv";
import { exportSite, startServer } from "@themis/serve";
import { CHROMIUM, launchBrowser } from "../packages/serve/test/support/chromium.ts";
import { mixedRow } from "./support/rows.ts";

const full = process.env.BENCH_SCALE === "full";
const ROWS = full ? 100_000 : 20_000;
const RUNS = 3;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number): string => `${x.toFixed(0).padStart(6)} ms`;
async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const rootDir = mkdtempSync(path.join(tmpdir(), "themis-serve-bench-"));
try {
  const project = await Project.create("bench", localCsvBackend, { rootDir });
  const table = await project.createExperiment("results");
  for (let i = 0; i < ROWS; i += 10_000) await table.appendMany(Array.from({ length: Math.min(10_000, ROWS - i) }, (_, k) => mixedRow(i + k)));
  const runs = await project.internalTable("experiment", "__runs");
  const runId = "bench-run";
  await runs.append({
    _row_id: runId,
    run_id: runId,
    experiment: "results",
    dataset: "qa",
    status: "running",
    counts: { total: 1000, succeeded: 0, failed: 0, skipped: 0 },
  });
  console.log(`local/csv experiment of ${ROWS.toLocaleString("en")} rows (10 mixed columns); median of ${RUNS} runs`);

  // Two servers over the same table: the default one (table snapshots) and one that reads
  // the table from the storage on every request (cacheBytes: 0), as before snapshots.
  const server = await startServer({ storage: localCsvBackend, config: { rootDir }, project: "bench", pollMs: 250 });
  const streaming = await startServer({ storage: localCsvBackend, config: { rootDir }, project: "bench", cacheBytes: 0 });
  const api = (query: string, on = server) =>
    fetch(`http://127.0.0.1:${on.port}/api/projects/bench/experiments/results/rows?${query}`, { headers: { authorization: `Bearer ${on.token}` } }).then(
      (r) => r.json() as Promise<{ partial?: boolean }>,
    );

  // Each timed query is a view new to the server, so its view cache does not help: a
  // distinct filter, or a distinct (unused) `column`, which is part of the view's key.
  let n = 0;
  const fresh = () => `unused${n++}`;
  const baseline = async (pick: (rows: Row[]) => unknown) => {
    const rows = await table.load();
    return JSON.stringify(pick(rows)).length;
  };
  const figures: [string, number, number, number][] = [];
  const measure = async (label: string, ours: () => Promise<unknown>, stream: () => Promise<unknown>, theirs: () => Promise<unknown>) => {
    const a: number[] = [];
    const s: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      b.push(await time(theirs));
      s.push(await time(stream));
      a.push(await time(ours));
    }
    figures.push([label, median(a), median(s), median(b)]);
  };
  // Cold: a server that has not read the table yet (a new one each time).
  const coldServer = async (ask: (on: typeof server) => Promise<unknown>) => {
    const cold = await startServer({ storage: localCsvBackend, config: { rootDir }, project: "bench" });
    try {
      return await time(() => ask(cold));
    } finally {
      await cold.close();
    }
  };
  const coldFirst: number[] = [];
  const coldCount: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    coldFirst.push(await coldServer((on) => api("limit=100", on)));
    // Until the exact count is known: ask until the answer is no longer partial (the snapshot's pass).
    coldCount.push(
      await coldServer(async (on) => {
        while ((await api("limit=100", on)).partial) await new Promise((resolve) => setTimeout(resolve, 20));
      }),
    );
  }
  const viaStream = (query: () => string) => () => api(query(), streaming);
  await api("limit=1"); // the default server reads the table once (its snapshot)
  while ((await api("limit=1")).partial) await new Promise((resolve) => setTimeout(resolve, 20));
  await measure(
    "first page of 100, new view",
    () => api(`limit=100&column=${fresh()}`),
    viaStream(() => `limit=100&column=${fresh()}`),
    () => baseline((rows) => rows.slice(0, 100)),
  );
  const needle = () => `What is ${ROWS - 1 - (n++ % 1000)} `;
  await measure(
    "filter (text in any value)",
    () => api(`filter=${encodeURIComponent(needle())}`),
    viaStream(() => `filter=${encodeURIComponent(needle())}`),
    () => {
      const text = needle();
      return baseline((rows) => rows.filter((r) => JSON.stringify(r).includes(text)));
    },
  );
  await measure(
    "sort by a number column, new view",
    () => api(`sort=latency_ms&desc=true&column=${fresh()}`),
    viaStream(() => `sort=latency_ms&desc=true&column=${fresh()}`),
    () => baseline((rows) => [...rows].sort((x, y) => (y.latency_ms as number) - (x.latency_ms as number)).slice(0, 100)),
  );
  const warmKey = `sort=score&filter=bench`;
  await api(warmKey);
  await api(warmKey, streaming);
  await measure(
    "next page of a sorted view (warm)",
    () => api(`${warmKey}&offset=${Math.floor(ROWS / 2)}`),
    viaStream(() => `${warmKey}&offset=${Math.floor(ROWS / 2)}`),
    () => baseline((rows) => [...rows].sort((x, y) => (x.score as number) - (y.score as number)).slice(ROWS / 2, ROWS / 2 + 100)),
  );
  console.log(`\n${"API".padEnd(40)} ${"serve".padStart(9)} ${"no snapshot".padStart(12)} ${"load()+JSON".padStart(12)}  ratio to load()+JSON`);
  console.log(`${"first page, server new to the table".padEnd(40)} ${ms(median(coldFirst))}`);
  console.log(`${"exact row count, server new to the table".padEnd(40)} ${ms(median(coldCount))}   (one pass: the snapshot)`);
  for (const [label, a, s, b] of figures) console.log(`${label.padEnd(40)} ${ms(a)} ${ms(s).padStart(12)} ${ms(b).padStart(12)}  ${(a / b).toFixed(3)}x`);

  // A static export of the project (page files of 500 rows) beside writing the table as one JSON file.
  const exported: number[] = [];
  const oneFile: number[] = [];
  let files = 0;
  for (let r = 0; r < RUNS; r++) {
    const dir = path.join(rootDir, `export-${r}`);
    oneFile.push(await time(async () => writeFileSync(`${dir}.json`, JSON.stringify(await table.load()))));
    exported.push(await time(async () => (files = (await exportSite({ storage: localCsvBackend, config: { rootDir }, project: "bench", dir })).files)));
  }
  console.log(
    `${"static export (--export DIR)".padEnd(40)} ${ms(median(exported))} ${"".padStart(12)} ${ms(median(oneFile)).padStart(12)}  ${(median(exported) / median(oneFile)).toFixed(2)}x  (${files} files; baseline: load() into one JSON file)`,
  );

  if (!existsSync(CHROMIUM)) {
    console.log(`\n${CHROMIUM} not installed: page figures skipped`);
  } else {
    const browser = await launchBrowser();
    try {
      const { context } = browser;
      const page = await context.newPage();
      // First navigation to the table on a server that has never read it.
      const cold = await startServer({ storage: localCsvBackend, config: { rootDir }, project: "bench" });
      await page.goto(cold.url);
      const coldStart = performance.now();
      await page.goto(`http://127.0.0.1:${cold.port}/#/p/bench/experiments/results`);
      await page.locator('.tr[data-index="0"] .td').first().waitFor();
      const coldFirstRows = performance.now() - coldStart;
      await page
        .getByTestId("total")
        .filter({ hasText: `${ROWS.toLocaleString("en")} rows` })
        .waitFor();
      const coldCounted = performance.now() - coldStart;
      await cold.close();
      await page.goto(server.url);
      const firstRows: number[] = [];
      let maxRows = 0;
      for (let r = 0; r < RUNS; r++) {
        await page.goto(`http://127.0.0.1:${server.port}/#/`);
        const start = performance.now();
        await page.goto(`http://127.0.0.1:${server.port}/#/p/bench/experiments/results`);
        await page.locator('.tr[data-index="0"] .td').first().waitFor();
        firstRows.push(performance.now() - start);
      }
      for (const at of [0.25, 0.5, 0.75, 1]) {
        await page.getByTestId("scroller").evaluate((el, f) => (el.scrollTop = el.scrollHeight * f), at);
        await page.locator(".tr .td").first().waitFor();
        maxRows = Math.max(maxRows, await page.locator(".scroller .tr").count());
      }
      // A filter typed in the page until its rows are counted (includes the page's 250 ms typing pause).
      const filtered: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        const text = `What is ${ROWS - 11 - r} `;
        const start = performance.now();
        await page.getByRole("searchbox", { name: "filter" }).fill(text);
        // Each filter finds a different single row: wait for that one (not the previous answer).
        await page.locator('.tr[data-index="0"]').filter({ hasText: text }).waitFor();
        await page
          .getByTestId("total")
          .filter({ hasText: /^1 rows$/ })
          .waitFor();
        filtered.push(performance.now() - start);
      }
      await page.goto(`http://127.0.0.1:${server.port}/#/p/bench/runs/${runId}`);
      await page.getByTestId("run-progress").waitFor();
      const live: number[] = [];
      for (let r = 1; r <= RUNS; r++) {
        const record = (await runs.get(runId)) as unknown as RunRecord;
        const start = performance.now();
        await runs.update(runId, { ...record, counts: { ...record.counts, succeeded: r * 100 } });
        await page
          .getByTestId("run-progress")
          .filter({ hasText: `${r * 100}/1000` })
          .waitFor();
        live.push(performance.now() - start);
      }
      console.log(`\n${"page (Chromium)".padEnd(40)} ${"measured".padStart(9)}   issue target`);
      console.log(`${"first rows visible, server new to table".padEnd(40)} ${ms(coldFirstRows)}   <= 1000 ms`);
      console.log(`${"  its exact row count shown".padEnd(40)} ${ms(coldCounted)}`);
      console.log(`${"first rows visible, table in memory".padEnd(40)} ${ms(median(firstRows))}   <= 1000 ms`);
      console.log(`${"filter typed → rows counted (+250 ms pause)".padEnd(40)} ${ms(median(filtered))}   <= 300 ms for the answer`);
      console.log(`${"row elements in the DOM while scrolling".padEnd(40)} ${String(maxRows).padStart(9)}   <= 60`);
      console.log(`${"live progress reaches the page".padEnd(40)} ${ms(median(live))}   <= 2000 ms (poll every 250 ms here)`);
    } finally {
      await browser.close();
    }
  }
  await server.close();
  await streaming.close();
  await project.close();
} finally {
  rmSync(rootDir, { recursive: true, force: true });
}
