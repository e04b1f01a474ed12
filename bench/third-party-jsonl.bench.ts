// Benchmark of the third-party example backend "jsonl" (examples/third-party-backend) beside
// what a user would otherwise write: JSON lines appended to a file by hand (same flushes),
// and the file read back with readFile + JSON.parse per line.
//
//   node bench/third-party-jsonl.bench.ts                    BENCH_SCALE=small (default): sizes / 20
//   BENCH_SCALE=full node bench/third-party-jsonl.bench.ts   100k rows in batches, 10k single appends, load 100k
//
// Rows have 10 mixed-type columns. Figures are printed, never asserted on.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Project, type Row } from "@themis/core";
import { mixedRow, mixedRows } from "./support/rows.ts";

const entry = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../examples/third-party-backend/dist/index.js");
if (!existsSync(entry)) {
  console.log(`skipped: ${entry} is not built (run pnpm build)`);
  process.exit(0);
}
const { jsonlBackend } = (await import(entry)) as typeof import("../examples/third-party-backend/src/index.ts");

const full = process.env.BENCH_SCALE === "full";
const DIV = full ? 1 : 20;
const BATCH_ROWS = 100_000 / DIV;
const BATCH_SIZE = 1_000;
const SINGLE_ROWS = 10_000 / DIV;
const UPDATES = 50;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}
const perSecond = (n: number, ms: number): string => Math.round((n / ms) * 1000).toLocaleString("en-US");
const report = (label: string, n: number, ms: number, baselineMs?: number): void =>
  console.log(
    `${label.padEnd(44)} ${perSecond(n, ms).padStart(10)} rows/s${baselineMs === undefined ? "" : `   ${(baselineMs / ms).toFixed(2)}× the hand-written baseline`}`,
  );

/** The baseline: append JSON lines with an O_APPEND handle and flush, as one would by hand. */
async function rawAppend(file: string, rows: Row[]): Promise<void> {
  const handle = await open(file, "a");
  try {
    await handle.writeFile(rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

const dir = mkdtempSync(path.join(tmpdir(), "themis-bench-jsonl-"));
try {
  const project = await Project.create("bench", jsonlBackend, { rootDir: path.join(dir, "data") });
  console.log(`jsonl backend, rows of 10 mixed-type columns, fsync on (BENCH_SCALE=${full ? "full" : "small"})`);

  // appendMany in batches vs hand-written batched appends.
  const batched = await project.createDataset("batched");
  const batches = Array.from({ length: BATCH_ROWS / BATCH_SIZE }, (_, b) => mixedRows(BATCH_SIZE, b * BATCH_SIZE));
  const rawBatchMs = await time(async () => {
    for (const rows of batches) await rawAppend(path.join(dir, "raw-batched.jsonl"), rows);
  });
  const batchMs = await time(async () => {
    for (const rows of batches) await batched.appendMany(rows);
  });
  report(`appendMany ${BATCH_ROWS} rows, batches of ${BATCH_SIZE}`, BATCH_ROWS, batchMs, rawBatchMs);
  report("  baseline: raw batched appends", BATCH_ROWS, rawBatchMs);

  // append one by one (each flushed) vs hand-written single appends.
  const single = await project.createDataset("single");
  const singles = mixedRows(SINGLE_ROWS);
  const rawSingleMs = await time(async () => {
    for (const row of singles) await rawAppend(path.join(dir, "raw-single.jsonl"), [row]);
  });
  const singleMs = await time(async () => {
    for (const row of singles) await single.append(row);
  });
  report(`append ${SINGLE_ROWS} rows one by one`, SINGLE_ROWS, singleMs, rawSingleMs);
  report("  baseline: raw single appends", SINGLE_ROWS, rawSingleMs);

  // load vs readFile + JSON.parse per line, and streaming.
  const rawLoadMs = await time(async () => {
    const text = await readFile(path.join(dir, "raw-batched.jsonl"), "utf8");
    text
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as unknown);
  });
  let loaded = 0;
  const loadMs = await time(async () => {
    loaded = (await batched.load()).length;
  });
  report(`load ${loaded} rows`, loaded, loadMs, rawLoadMs);
  report("  baseline: readFile + JSON.parse per line", loaded, rawLoadMs);
  let streamed = 0;
  const streamMs = await time(async () => {
    for await (const _ of batched.entries()) streamed++;
  });
  report(`stream ${streamed} rows (entries())`, streamed, streamMs, rawLoadMs);

  // update rewrites the file: its cost grows with the table (documented limit).
  const ids = (await batched.load()).slice(0, UPDATES).map((r) => r._row_id);
  const updateMs = await time(async () => {
    for (const id of ids) await batched.update(id, mixedRow(-1));
  });
  console.log(`${`update in a ${BATCH_ROWS}-row table (atomic rewrite)`.padEnd(44)} ${(updateMs / UPDATES).toFixed(1).padStart(10)} ms/update`);
  await project.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
