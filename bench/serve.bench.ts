// Benchmark of the result browser (@themis/serve) on a local/csv experiment of mixed rows,
// beside what a page would otherwise do: fetch the whole table (`load()` + JSON, what a
// naive server ships) and filter or sort it in memory. Then, in Chromium when installed,
// the page targets: first rows visible after navigation, row elements in the DOM
// while scrolling, and how late live progress reaches the page.
//
//   node bench/serve.bench.ts                    BENCH_SCALE=small (default): 20k rows
//   BENCH_SCALE=full node bench/serve.bench.ts   100k rows (the size)
//
// Figures are printed, never asserted on.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Project, type RunRecord, type Row } from "@themis/core";
import { localCsvBackend } from "@themis/backend-local-csv";
import { startServer } from "@themis/serve";
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
  await runs.append({ _row_id: runId, run_id: runId, experiment: "results", dataset: "qa", status: "running", counts: { total: 1000, succeeded: 0, failed: 0, skipped: 0 } });
  console.log(`local/csv experiment of ${ROWS.toLocaleString("en")} rows (10 mixed columns); median of ${RUNS} runs`);

  const server = await startServer({ storage: localCsvBackend, config: { rootDir }, project: "bench", pollMs: 250 });
  const headers = { authorization: `Bearer ${server.token}` };
  const api = (query: string) => fetch(`http://127.0.0.1:${server.port}/api/projects/bench/experiments/results/rows?${query}`, { headers }).then((r) => r.json());

  // Each timed query is a view new to the server, so its view cache does not help: a
  // distinct filter, or a distinct (unused) `column`, which is part of the view's key.
  let n = 0;
  const fresh = () => `unused${n++}`;
  const baseline = async (pick: (rows: Row[]) => unknown) => {
    const rows = await table.load();
    return JSON.stringify(pick(rows)).length;
  };
  const figures: [string, number, number][] = [];
  const measure = async (label: string, ours: () => Promise<unknown>, theirs: () => Promise<unknown>) => {
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      b.push(await time(theirs));
      a.push(await time(ours));
    }
    figures.push([label, median(a), median(b)]);
  };
  await measure("first page of 100 (cold view)", () => api(`limit=100&column=${fresh()}`), () => baseline((rows) => rows));
  const needle = () => `What is ${ROWS - 1 - (n++ % 1000)} `;
  await measure("filter (text in any value)", () => api(`filter=${encodeURIComponent(needle())}`), () => {
    const text = needle();
    return baseline((rows) => rows.filter((r) => JSON.stringify(r).includes(text)));
  });
  await measure("sort by a number column (cold)", () => api(`sort=latency_ms&desc=true&column=${fresh()}`), () =>
    baseline((rows) => [...rows].sort((x, y) => (y.latency_ms as number) - (x.latency_ms as number)).slice(0, 100)));
  const warmKey = `sort=score&filter=bench`;
  await api(warmKey);
  await measure("next page of a sorted view (warm)", () => api(`${warmKey}&offset=${Math.floor(ROWS / 2)}`), () =>
    baseline((rows) => [...rows].sort((x, y) => (x.score as number) - (y.score as number)).slice(ROWS / 2, ROWS / 2 + 100)));
  console.log(`\n${"API".padEnd(40)} ${"serve".padStart(9)} ${"load()+JSON".padStart(12)}  ratio`);
  for (const [label, a, b] of figures) console.log(`${label.padEnd(40)} ${ms(a)} ${ms(b).padStart(12)}  ${(a / b).toFixed(2)}x`);

  if (!existsSync(CHROMIUM)) {
    console.log(`\n${CHROMIUM} not installed: page figures skipped`);
  } else {
    const browser = await launchBrowser();
    try {
      const { context } = browser;
      const page = await context.newPage();
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
      await page.goto(`http://127.0.0.1:${server.port}/#/p/bench/runs/${runId}`);
      await page.getByTestId("run-progress").waitFor();
      const live: number[] = [];
      for (let r = 1; r <= RUNS; r++) {
        const record = (await runs.get(runId)) as unknown as RunRecord;
        const start = performance.now();
        await runs.update(runId, { ...record, counts: { ...record.counts, succeeded: r * 100 } });
        await page.getByTestId("run-progress").filter({ hasText: `${r * 100}/1000` }).waitFor();
        live.push(performance.now() - start);
      }
      console.log(`\n${"page (Chromium)".padEnd(40)} ${"measured".padStart(9)}   issue target`);
      // The first navigation is cold (a full pass to count the rows); the next ones reuse the view cache.
      console.log(`${"first rows visible, first navigation".padEnd(40)} ${ms(firstRows[0]!)}   <= 1000 ms`);
      console.log(`${"first rows visible, again (view cached)".padEnd(40)} ${ms(median(firstRows.slice(1)))}   <= 1000 ms`);
      console.log(`${"row elements in the DOM while scrolling".padEnd(40)} ${String(maxRows).padStart(9)}   <= 60`);
      console.log(`${"live progress reaches the page".padEnd(40)} ${ms(median(live))}   <= 2000 ms (poll every 250 ms here)`);
    } finally {
      await browser.close();
    }
  }
  await server.close();
  await project.close();
} finally {
  rmSync(rootDir, { recursive: true, force: true });
}
