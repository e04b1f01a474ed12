// Benchmark of the "local/csv" storage backend beside what a user would otherwise write:
// awaited FileHandle.write calls (one per row) and a raw fs write stream of
// papaparse-unparsed lines, a raw papaparse parse of the same file, the
// rewrite-the-whole-file-per-append approach (Ragas' local/csv), and a papaparse
// read-modify-write of the whole file for an update.
//
//   node bench/local-csv.bench.ts                    BENCH_SCALE=small (default): sizes / 20
//   BENCH_SCALE=full node bench/local-csv.bench.ts   the sizes (100k appends, 1M-row load/stream)
//   LOCAL_CSV_BENCH=load,stream node bench/local-csv.bench.ts   only some sections
//
// Rows have 10 mixed-type columns. Figures are printed, never asserted on.
import { spawnSync } from "node:child_process";
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { once } from "node:events";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Papa from "papaparse";
import { Project, type Row } from "@themis/core";
import { localCsvBackend } from "@themis/backend-local-csv";
import { mixedRow, mixedRows } from "./support/rows.ts";

const full = process.env.BENCH_SCALE === "full";
// LOCAL_CSV_BENCH=append,batch,load,stream,rewrite runs only those sections (default: all).
const sections = new Set((process.env.LOCAL_CSV_BENCH ?? "append,batch,load,stream,rewrite,update").split(","));
const DIV = full ? 1 : 20;
const SINGLE_ROWS = 100_000 / DIV;
const BATCH_ROWS = 100_000 / DIV;
const BATCH_SIZE = 1_000;
const LOAD_SIZES = [100_000 / DIV, 1_000_000 / DIV];
const LOAD_RUNS = 3;
const STREAM_SIZES = [100_000 / DIV, 1_000_000 / DIV];
const REWRITE_SIZES = full ? [1_000, 2_000, 4_000] : [250, 500, 1_000];
const UPDATE_TABLE_ROWS = 100_000 / DIV;
const UPDATES = 5;

/** The cells a user writing CSV by hand would produce: nested values as JSON text. */
const plainCells = (row: Row): unknown[] => Object.values(row).map((v) => (v !== null && typeof v === "object" ? JSON.stringify(v) : v));
const COLUMNS = Object.keys(mixedRow(0));

async function time<T>(fn: () => Promise<T> | T): Promise<{ ms: number; cpuMs: number; value: T }> {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const value = await fn();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000, value };
}
/** CPU time per row (all threads of this process): steadier than wall time on a shared machine. */
const cpuPerRow = (r: { cpuMs: number }, n: number): string => `${((r.cpuMs * 1000) / n).toFixed(1)} µs CPU/row`;
const perSecond = (n: number, ms: number): string => Math.round((n / ms) * 1000).toLocaleString("en-US");
const fmt = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

// ---------------------------------------------------------------- streaming child
// Peak RSS is per process: each streaming measurement runs in a fresh child.
if (process.argv[2] === "--stream-child") {
  const [rootDir, project, table] = process.argv.slice(3);
  const p = await Project.open(project!, localCsvBackend, { rootDir });
  const t = await p.getDataset(table!);
  const before = process.memoryUsage().rss;
  let n = 0;
  const start = performance.now();
  for await (const row of t.entries()) if (row._row_id) n++;
  const ms = performance.now() - start;
  await p.close();
  process.stdout.write(JSON.stringify({ n, ms, before, peak: process.resourceUsage().maxRSS * 1024 }));
  process.exit(0);
}

const rootDir = mkdtempSync(path.join(tmpdir(), "themis-bench-local-csv-"));
const project = await Project.create("bench", localCsvBackend, { rootDir });
const lines: string[] = [];
const print = (line = ""): void => {
  console.log(line);
  lines.push(line);
};

try {
  print(`local/csv benchmark (BENCH_SCALE=${full ? "full" : "small"}, Node ${process.version}, ${rootDir})`);

  // Warm-up: JIT both paths on a small table.
  const warm = await project.createDataset("warmup");
  await warm.appendMany(mixedRows(5_000));
  await warm.load();

  // ---------------------------------------------------------------- append one by one
  if (sections.has("append")) {
    const input = mixedRows(SINGLE_ROWS);
    const t = await project.createDataset("single");
    // Timed per quarter as well: the rate must stay flat as the table grows.
    const quarters: number[] = [];
    const ours = await time(async () => {
      const q = SINGLE_ROWS / 4;
      for (let i = 0; i < SINGLE_ROWS; i += q) {
        const start = performance.now();
        for (let j = i; j < i + q; j++) await t.append(input[j]!);
        quarters.push(performance.now() - start);
      }
    });
    // What a user writing the same CSV lines by hand, each awaited, would do: FileHandle.write on a kept-open handle.
    const awaitedFile = path.join(rootDir, "raw-awaited.csv");
    const awaited = await time(async () => {
      const handle = await open(awaitedFile, "a");
      await handle.write(`${Papa.unparse([COLUMNS])}\n`);
      for (const row of input) await handle.write(`${Papa.unparse([plainCells(row)])}\n`);
      await handle.close();
    });
    const rawFile = path.join(rootDir, "raw-single.csv");
    const raw = await time(async () => {
      const out = createWriteStream(rawFile);
      out.write(`${Papa.unparse([COLUMNS])}\n`);
      for (const row of input) {
        if (!out.write(`${Papa.unparse([plainCells(row)])}\n`)) await once(out, "drain");
      }
      out.end();
      await once(out, "finish");
    });
    print();
    print(`append one by one, ${SINGLE_ROWS.toLocaleString("en-US")} rows (each awaited: locked, written, acknowledged)`);
    print(
      `  local/csv           ${fmt(ours.ms).padStart(9)}  ${perSecond(SINGLE_ROWS, ours.ms).padStart(10)} rows/s  (per quarter of the table: ${quarters.map((ms) => perSecond(SINGLE_ROWS / 4, ms)).join(" / ")})`,
    );
    print(
      `  awaited fh.write    ${fmt(awaited.ms).padStart(9)}  ${perSecond(SINGLE_ROWS, awaited.ms).padStart(10)} rows/s  (kept-open handle, no lock)   ratio ${(awaited.ms / ours.ms).toFixed(2)}x (target >= 0.8x)`,
    );
    print(
      `  CPU time: local/csv ${cpuPerRow(ours, SINGLE_ROWS)}, awaited fh.write ${cpuPerRow(awaited, SINGLE_ROWS)}   ratio ${(awaited.cpuMs / ours.cpuMs).toFixed(2)}x`,
    );
    print(
      `  raw stream          ${fmt(raw.ms).padStart(9)}  ${perSecond(SINGLE_ROWS, raw.ms).padStart(10)} rows/s  (buffered, not awaited per row)   ratio ${(raw.ms / ours.ms).toFixed(2)}x`,
    );
  }

  // ---------------------------------------------------------------- appendMany in batches
  if (sections.has("batch")) {
    const input = mixedRows(BATCH_ROWS);
    // Best of 3 (each into a fresh table / file): a single ~1 s run is at the mercy of the machine.
    let ours = { ms: Infinity, value: undefined as unknown };
    let raw = { ms: Infinity, value: undefined as unknown };
    for (let attempt = 0; attempt < 3; attempt++) {
      const t = await project.createDataset(`batched_${attempt}`);
      const o = await time(async () => {
        for (let i = 0; i < input.length; i += BATCH_SIZE) await t.appendMany(input.slice(i, i + BATCH_SIZE));
      });
      if (o.ms < ours.ms) ours = o;
      const rawFile = path.join(rootDir, `raw-batched-${attempt}.csv`);
      const r = await time(async () => {
        const out = createWriteStream(rawFile);
        out.write(`${Papa.unparse([COLUMNS])}\n`);
        for (let i = 0; i < input.length; i += BATCH_SIZE) {
          const text = `${Papa.unparse(input.slice(i, i + BATCH_SIZE).map(plainCells))}\n`;
          if (!out.write(text)) await once(out, "drain");
        }
        out.end();
        await once(out, "finish");
      });
      if (r.ms < raw.ms) raw = r;
    }
    print();
    print(`appendMany, ${BATCH_ROWS.toLocaleString("en-US")} rows in batches of ${BATCH_SIZE.toLocaleString("en-US")} (best of 3)`);
    print(`  local/csv   ${fmt(ours.ms).padStart(9)}  ${perSecond(BATCH_ROWS, ours.ms).padStart(10)} rows/s`);
    print(`  raw stream  ${fmt(raw.ms).padStart(9)}  ${perSecond(BATCH_ROWS, raw.ms).padStart(10)} rows/s`);
    print(`  local/csv / raw = ${(raw.ms / ours.ms).toFixed(2)}x of the raw stream's rows/s (target >= 0.5x)`);
  }

  // ---------------------------------------------------------------- load
  // The tables for load and stream, filled with appendMany.
  if (sections.has("load") || sections.has("stream")) {
    for (const size of new Set([...LOAD_SIZES, ...STREAM_SIZES])) {
      const t = await project.createDataset(`load_${size}`);
      for (let i = 0; i < size; i += 10_000) await t.appendMany(mixedRows(Math.min(10_000, size - i), i));
    }
  }
  if (sections.has("load")) {
    print();
    print(`load (whole table into memory; best of ${LOAD_RUNS})`);
  }
  for (const size of sections.has("load") ? LOAD_SIZES : []) {
    const name = `load_${size}`;
    const t = await project.getDataset(name);
    const file = path.join(rootDir, "bench", "datasets", `${name}.csv`);
    // Best of a few runs, the two sides alternating: a single run swings with the garbage
    // collector's state (the tables were just written) and with other work on the machine.
    const ours = { ms: Infinity };
    const raw = { ms: Infinity };
    for (let run = 0; run < LOAD_RUNS; run++) {
      const loaded = await time(() => t.load());
      if (loaded.value.length !== size) throw new Error(`bench: loaded ${loaded.value.length} rows, expected ${size}`);
      ours.ms = Math.min(ours.ms, loaded.ms);
      loaded.value.length = 0;
      const parsed = await time(() => Papa.parse<Record<string, string>>(readFileSync(file, "utf8"), { header: true, skipEmptyLines: true }).data);
      if (parsed.value.length !== size) throw new Error(`bench: papaparse read ${parsed.value.length} rows, expected ${size}`);
      raw.ms = Math.min(raw.ms, parsed.ms);
      parsed.value.length = 0;
    }
    print(
      `  ${size.toLocaleString("en-US").padStart(9)} rows (${mb(statSync(file).size)}): local/csv ${fmt(ours.ms).padStart(9)} ${perSecond(size, ours.ms).padStart(10)} rows/s | raw papaparse ${fmt(raw.ms).padStart(9)} ${perSecond(size, raw.ms).padStart(10)} rows/s | ratio ${(raw.ms / ours.ms).toFixed(2)}x (target >= 0.7x)`,
    );
  }

  // ---------------------------------------------------------------- stream
  if (sections.has("stream")) {
    print();
    print("stream with entries() (each in a fresh process; peak RSS of that process)");
  }
  for (const size of sections.has("stream") ? STREAM_SIZES : []) {
    const name = `load_${size}`;
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--stream-child", rootDir, "bench", name], { encoding: "utf8" });
    if (child.status !== 0) throw new Error(`bench: streaming child failed: ${child.stderr}`);
    const r = JSON.parse(child.stdout) as { n: number; ms: number; before: number; peak: number };
    if (r.n !== size) throw new Error(`bench: streamed ${r.n} rows, expected ${size}`);
    print(
      `  ${size.toLocaleString("en-US").padStart(9)} rows: ${fmt(r.ms).padStart(9)} ${perSecond(size, r.ms).padStart(10)} rows/s, RSS ${mb(r.before)} before, peak ${mb(r.peak)}`,
    );
  }
  // The same file streamed by raw papaparse (no decoding), for rows/s.
  if (sections.has("stream")) {
    const size = STREAM_SIZES.at(-1)!;
    const file = path.join(rootDir, "bench", "datasets", `load_${size}.csv`);
    const raw = await time(
      () =>
        new Promise<number>((resolve, reject) => {
          let n = 0;
          Papa.parse(createReadStream(file), { header: true, skipEmptyLines: true, step: () => void n++, complete: () => resolve(n), error: reject });
        }),
    );
    print(`  raw papaparse stream of ${size.toLocaleString("en-US")} rows: ${fmt(raw.ms)} ${perSecond(size, raw.ms)} rows/s`);
  }

  // ---------------------------------------------------------------- rewrite per append
  if (sections.has("rewrite")) {
    print();
    print("appending N rows one by one: local/csv (O(1) appends) vs rewriting the whole file per append (Ragas)");
  }
  for (const size of sections.has("rewrite") ? REWRITE_SIZES : []) {
    const input = mixedRows(size);
    const t = await project.createDataset(`growth_${size}`);
    const ours = await time(async () => {
      for (const row of input) await t.append(row);
    });
    const file = path.join(rootDir, `rewrite-${size}.csv`);
    const rewrite = await time(() => {
      writeFileSync(file, `${Papa.unparse({ fields: COLUMNS, data: [] })}\n`);
      for (const row of input) {
        const current = Papa.parse<Record<string, string>>(readFileSync(file, "utf8"), { header: true, skipEmptyLines: true }).data;
        current.push(Object.fromEntries(COLUMNS.map((c, i) => [c, plainCells(row)[i]])) as Record<string, string>);
        writeFileSync(file, `${Papa.unparse(current, { columns: COLUMNS })}\n`);
      }
    });
    print(
      `  N=${size.toLocaleString("en-US").padStart(6)}: local/csv ${fmt(ours.ms).padStart(9)} (${(ours.ms / size).toFixed(3)} ms/row) | rewrite ${fmt(rewrite.ms).padStart(9)} (${(rewrite.ms / size).toFixed(3)} ms/row) | ${(rewrite.ms / ours.ms).toFixed(1)}x slower`,
    );
  }

  // ---------------------------------------------------------------- update one row
  if (sections.has("update")) {
    const t = await project.createDataset("update");
    for (let i = 0; i < UPDATE_TABLE_ROWS; i += 10_000) await t.appendMany(mixedRows(Math.min(10_000, UPDATE_TABLE_ROWS - i), i));
    const ids = (await t.load()).map((r) => r._row_id);
    const file = path.join(rootDir, "bench", "datasets", "update.csv");
    const rawFile = path.join(rootDir, "raw-update.csv");
    writeFileSync(rawFile, readFileSync(file));
    const ours = await time(async () => {
      for (let i = 0; i < UPDATES; i++) await t.update(ids[(i * 7919) % ids.length]!, mixedRow(i + 1));
    });
    // By hand: parse the whole file, replace the row, write it all back through a temp file.
    const raw = await time(() => {
      for (let i = 0; i < UPDATES; i++) {
        const parsed = Papa.parse<Record<string, string>>(readFileSync(rawFile, "utf8"), { header: true, skipEmptyLines: true });
        const at = (i * 7919) % parsed.data.length;
        parsed.data[at] = { ...parsed.data[at]!, ...Object.fromEntries(COLUMNS.map((c, k) => [c, String(plainCells(mixedRow(i + 1))[k])])) };
        writeFileSync(`${rawFile}.tmp`, `${Papa.unparse(parsed.data, { columns: parsed.meta.fields })}\n`);
        renameSync(`${rawFile}.tmp`, rawFile);
      }
    });
    print();
    print(
      `update of one row in a ${UPDATE_TABLE_ROWS.toLocaleString("en-US")}-row table (${mb(statSync(file).size)}; the file is rewritten; mean of ${UPDATES})`,
    );
    print(`  local/csv                         ${fmt(ours.ms / UPDATES).padStart(9)} per update`);
    print(`  papaparse read-modify-write       ${fmt(raw.ms / UPDATES).padStart(9)} per update   ratio ${(raw.ms / ours.ms).toFixed(2)}x`);
  }
} finally {
  await project.close();
  rmSync(rootDir, { recursive: true, force: true });
}
