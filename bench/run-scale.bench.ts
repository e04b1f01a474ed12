// runExperiment at scale on local/csv: rows/s and peak RSS of a no-op run, and of a run
// resumed after a kill -9 in the middle.
//
// Each step runs in its own CHILD process, so each peak RSS (process.resourceUsage().maxRSS)
// is that of the step alone:
//   prepare  creates the dataset (N rows of ~190 bytes, appendMany in batches of 10,000)
//   run      runExperiment over it with a no-op task (concurrency 16)
//   kill     the same run on another experiment, killed with SIGKILL once half the rows are done
//   resume   runExperiment with resume: true on that experiment: it must skip the rows done,
//            take over the killed run's claims and end with exactly N results
//
//   node bench/run-scale.bench.ts                     BENCH_SCALE=small (default): 2k and 20k rows
//   BENCH_SCALE=full node bench/run-scale.bench.ts    100k, 1M and 10M rows
//   RUN_SCALE_SIZES=100000,1000000 node bench/run-scale.bench.ts
//
// A size is skipped when the one before it predicts more than RUN_SCALE_MAX_MINUTES (default
// 15) for it. Figures are printed, never asserted on, except that every step must finish with
// the right number of results (the bench exits 1 otherwise). Target (issue 18): bounded memory.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Project } from "@themis/core";
import { shortRows } from "./support/rows.ts";

const full = process.env.BENCH_SCALE === "full";
const here = fileURLToPath(import.meta.url);
const SIZES = process.env.RUN_SCALE_SIZES?.split(",").map(Number) ?? (full ? [100_000, 1_000_000, 10_000_000] : [2_000, 20_000]);
const MAX_MS = Number(process.env.RUN_SCALE_MAX_MINUTES ?? 15) * 60_000;
const noop = async (row: { answer: string }): Promise<string> => row.answer;

interface StepResult {
  step: string;
  rows: number;
  ms: number;
  succeeded: number;
  skipped: number;
  results: number;
  maxRssKb: number;
}

/** One step in this (child) process; prints one JSON line (the kill step prints "half" and waits to be killed). */
async function child(step: string, rows: number, dir: string): Promise<void> {
  const project = await Project.openOrCreate("runscale", "local/csv", { rootDir: dir });
  const started = performance.now();
  let out: Omit<StepResult, "maxRssKb">;
  if (step === "prepare") {
    const dataset = await project.createDataset("inputs");
    for (let i = 0; i < rows; i += 10_000) await dataset.appendMany(shortRows(Math.min(10_000, rows - i), i));
    out = { step, rows, ms: performance.now() - started, succeeded: rows, skipped: 0, results: rows };
  } else {
    const experiment = step === "run" ? "plain" : "killed";
    let said = false;
    const summary = await project.runExperiment({
      dataset: "inputs",
      experiment,
      task: noop,
      concurrency: 16,
      resume: step === "resume",
      // The killed run must read stale soon (4 beats) so the resumed one takes its claims over.
      heartbeatMs: 500,
      ...(step === "kill"
        ? {
            onProgress: (p: { done: number }) => {
              if (!said && p.done >= rows / 2) {
                said = true;
                process.stdout.write("half\n");
              }
            },
          }
        : {}),
    });
    let results = 0;
    for await (const _ of (await project.getExperiment(experiment)).entries()) results++;
    out = { step, rows, ms: summary.durationMs, succeeded: summary.succeeded, skipped: summary.skipped, results };
  }
  await project.close();
  process.stdout.write(`${JSON.stringify({ ...out, maxRssKb: process.resourceUsage().maxRSS })}\n`);
}

function runChild(step: string, rows: number, dir: string, killAtHalf = false): Promise<StepResult | undefined> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [here, "--child", step, String(rows), dir], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    proc.stdout.on("data", (d: Buffer) => {
      out += d.toString("utf8");
      if (killAtHalf && out.includes("half\n")) proc.kill("SIGKILL");
    });
    proc.on("error", reject);
    proc.on("close", (code, signal) => {
      if (killAtHalf && signal === "SIGKILL") return resolve(undefined);
      const line = out.trim().split("\n").at(-1) ?? "";
      if (code === 0 && line.startsWith("{")) resolve(JSON.parse(line) as StepResult);
      else reject(new Error(`${step} at ${rows} rows: the child exited with ${signal ?? `code ${String(code)}`}${out ? `: ${out.trim()}` : ""}`));
    });
  });
}

if (process.argv[2] === "--child") {
  const [, , , step, rows, dir] = process.argv;
  await child(step ?? "", Number(rows), dir ?? "");
  process.exit(0);
}

const scratch = mkdtempSync(path.join(tmpdir(), "themis-bench-run-scale-"));
const table: Record<string, string | number>[] = [];
const notes: string[] = [];
let failed = 0;
const mb = (kb: number): number => Math.round(kb / 1024);
const perSecond = (n: number, ms: number): string => Math.round((n * 1000) / ms).toLocaleString("en-US");
try {
  let previous: { rows: number; ms: number } | undefined;
  for (const rows of SIZES) {
    if (previous) {
      // prepare + run + kill/resume (about one more run): three runs' worth.
      const predicted = (previous.ms * rows) / previous.rows;
      if (predicted > MAX_MS) {
        notes.push(
          `${rows.toLocaleString("en-US")} rows: skipped, ${Math.round(predicted / 60_000)} min predicted from ${previous.rows.toLocaleString("en-US")} rows (over ${MAX_MS / 60_000} min)`,
        );
        break;
      }
    }
    const dir = path.join(scratch, String(rows));
    const t0 = performance.now();
    try {
      const prepared = await runChild("prepare", rows, dir);
      const run = await runChild("run", rows, dir);
      await runChild("kill", rows, dir, true);
      const resumed = await runChild("resume", rows, dir);
      if (!prepared || !run || !resumed) throw new Error("a step printed nothing");
      if (run.results !== rows || resumed.results !== rows) throw new Error(`results: run ${run.results}, resumed ${resumed.results}, expected ${rows} each`);
      table.push({
        rows: rows.toLocaleString("en-US"),
        "dataset MB RSS": mb(prepared.maxRssKb),
        "run rows/s": perSecond(rows, run.ms),
        "run peak RSS MB": mb(run.maxRssKb),
        "resume: skipped": resumed.skipped,
        "resume: ran": resumed.succeeded,
        "resume rows/s (ran)": perSecond(resumed.succeeded, resumed.ms),
        "resume peak RSS MB": mb(resumed.maxRssKb),
      });
      console.log(
        `${rows.toLocaleString("en-US")} rows: run ${Math.round(run.ms / 1000)} s, peak RSS ${mb(run.maxRssKb)} MB; resume after kill -9: ${resumed.skipped} skipped, ${resumed.succeeded} run, peak RSS ${mb(resumed.maxRssKb)} MB`,
      );
      previous = { rows, ms: performance.now() - t0 };
    } catch (error) {
      failed++;
      notes.push(`${rows} rows: FAILED: ${(error as Error).message}`);
      break;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(
    `runExperiment at scale on local/csv (BENCH_SCALE=${full ? "full" : "small"}, Node ${process.version}; one child process per step; no-op task, concurrency 16)`,
  );
  console.table(table);
  for (const n of notes) console.log(n);
  console.log("peak RSS: the child's process.resourceUsage().maxRSS at its end. Target (issue 18): bounded memory at 10M rows.");
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
if (failed) process.exit(1);
