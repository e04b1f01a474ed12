// A 3-stage pipeline (generate -> answer -> score) over N rows on local/csv, local executor:
//   - a full run vs the same three runExperiment calls written by hand (each stage's results
//     copied into a dataset for the next, as a user would without @themis/pipeline);
//   - a cached re-plan and re-run with nothing changed; a re-run after 10 rows changed.
//   node bench/pipeline.bench.ts                 (BENCH_SCALE=small: 2 000 rows)
//   BENCH_SCALE=full node bench/pipeline.bench.ts (100 000 rows; BENCH_ROWS=N for another size)
// Options, to profile or repeat one part (e.g. `node --cpu-prof bench/pipeline.bench.ts`):
//   BENCH_ONLY=full|pipeline|by-hand|plan|cached|changed  one part (pipeline, by-hand: one side of
//                                        the full run alone, to profile it; plan / cached / changed compute the pipeline
//                                        once first, unless BENCH_DIR already holds it)
//   BENCH_ROUNDS=N                       repeat the part N times; the full run alternates which
//                                        side goes first (interleaved A/B), on fresh projects
//   BENCH_DIR=path                       keep the projects there (reused by the next run)
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { localCsvBackend } from "@themis/backend-local-csv";
import { Project, Registry, type StoredRow } from "@themis/core";
import { definePipeline, planPipeline, runPipeline, stage } from "@themis/pipeline";
import { shortRows } from "./support/rows.ts";

const full = process.env.BENCH_SCALE === "full";
const N = process.env.BENCH_ROWS ? Number(process.env.BENCH_ROWS) : full ? 100_000 : 2_000;
const ONLY = process.env.BENCH_ONLY;
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 1));
const CONCURRENCY = 16;
const registry = new Registry({ discover: false });
type Q = { question: string; answer: string; [k: string]: import("@themis/core").JsonValue };

const generate = (row: StoredRow<Q>) => ({ prompt: `Q: ${row.question}`, expected: row.answer });
const answer = (p: { prompt: string }) => ({ text: p.prompt.slice(3) });
const score = (x: { text: string; expected: string }) => ({ exact: x.text === x.expected });

function benchPipeline() {
  const gen = stage({ dataset: "qa", execution: "local", concurrency: CONCURRENCY, task: generate });
  const ans = stage({ from: gen, execution: "local", concurrency: CONCURRENCY, task: answer });
  const sc = stage({ from: { ans, gen }, execution: "local", concurrency: CONCURRENCY, task: (x) => score({ text: x.ans.text, expected: x.gen.expected }) });
  return definePipeline({ name: "bench", stages: { gen, ans, sc } });
}

async function freshProject(dir: string, name: string): Promise<Project> {
  const project = await Project.create(name, localCsvBackend, { rootDir: dir });
  await (await project.createDataset("qa")).appendMany(shortRows(N).map((r, i) => ({ ...r, _row_id: `r${i}` })));
  return project;
}

/** The baseline: three runExperiment calls, each stage's outputs copied into the next stage's dataset. */
async function byHand(project: Project): Promise<void> {
  // biome-ignore lint/suspicious/noExplicitAny: the bench passes tasks of several row types
  const run = (dataset: string, experiment: string, task: (row: any) => unknown) =>
    project.runExperiment({ dataset, experiment, task, execution: "local", concurrency: CONCURRENCY, registry, storeInput: false });
  const copy = async (experiment: string, dataset: string, shape: (row: StoredRow) => Record<string, unknown>) => {
    const out = await project.createDataset(dataset);
    const rows = [];
    for await (const r of (await project.getExperiment(experiment)).entries()) rows.push({ _row_id: r.dataset_row_id as string, ...shape(r) });
    await out.appendMany(rows as never);
  };
  await run("qa", "h-gen", generate);
  await copy("h-gen", "h-gen-out", (r) => r.output as Record<string, unknown>);
  await run("h-gen-out", "h-ans", answer);
  const gens = new Map<string, { expected: string }>();
  for await (const r of (await project.getExperiment("h-gen")).entries()) gens.set(r.dataset_row_id as string, r.output as { expected: string });
  await copy("h-ans", "h-ans-out", (r) => ({ text: (r.output as { text: string }).text, expected: gens.get(r.dataset_row_id as string)?.expected }));
  await run("h-ans-out", "h-score", score as (row: unknown) => unknown);
}

/** Wall and CPU time (user + system) of `fn`: on a loaded machine, CPU is closer to what an idle one would take. */
async function measure(fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const before = process.cpuUsage();
  const t = performance.now();
  await fn();
  const wall = performance.now() - t;
  const d = process.cpuUsage(before);
  return { wall, cpu: (d.user + d.system) / 1000 };
}
const ms = (t: number): string => `${t.toFixed(0)} ms`;
const rate = (n: number, t: number): string => `${Math.round((n * 1000) / t).toLocaleString("en-US")} rows/s`;
const load = (): string => loadavg()[0]?.toFixed(1) ?? "?";
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** One side of a full run, alone in a fresh Node process: neither side runs on the other's warmed-up code or garbage. */
function sideInChild(side: "pipeline" | "by-hand", dir: string): { wall: number; cpu: number } {
  const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url)], {
    env: { ...process.env, BENCH_ONLY: side, BENCH_ROUNDS: "1", BENCH_JSON: "1", BENCH_DIR: dir, BENCH_ROWS: String(N) },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  return JSON.parse(out.split("\n").find((line) => line.startsWith("{")) ?? "") as { wall: number; cpu: number };
}

/** Part 1: full runs, pipeline and by hand, each in a fresh process on a fresh project, the first side alternating each round. */
async function fullRuns(dir: string): Promise<void> {
  console.log(`\n1. full run (${ROUNDS} round${ROUNDS > 1 ? "s" : ""}, interleaved, each side in a fresh process)`);
  const ratios: number[] = [];
  const cpuRatios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const sides: ("pipeline" | "by-hand")[] = round % 2 === 0 ? ["pipeline", "by-hand"] : ["by-hand", "pipeline"];
    const t: Record<string, { wall: number; cpu: number }> = {};
    const loads: string[] = [load()];
    for (const side of sides) {
      t[side] = sideInChild(side, dir);
      loads.push(load());
    }
    const p = t.pipeline as { wall: number; cpu: number };
    const h = t["by-hand"] as { wall: number; cpu: number };
    ratios.push(h.wall / p.wall);
    cpuRatios.push(h.cpu / p.cpu);
    console.log(
      `   round ${round + 1} (${sides[0]} first, load ${loads.join(" -> ")}): runPipeline ${ms(p.wall)} cpu ${ms(p.cpu)} ${rate(3 * N, p.wall)}; by hand ${ms(h.wall)} cpu ${ms(h.cpu)}; ratio ${(h.wall / p.wall).toFixed(2)}x (cpu ${(h.cpu / p.cpu).toFixed(2)}x)`,
    );
  }
  // CPU is the steadier figure on a shared machine: wall time also counts other processes' load.
  console.log(
    `   throughput ratio pipeline/by hand, median of ${ratios.length}: wall ${median(ratios).toFixed(2)}x, cpu ${median(cpuRatios).toFixed(2)}x (target >= 0.9x)`,
  );
}

/** The project parts 2 and 3 read: computed once (kept under BENCH_DIR). */
async function computedProject(dir: string): Promise<Project> {
  if (existsSync(path.join(dir, "cached"))) return Project.open("cached", localCsvBackend, { rootDir: dir });
  const project = await freshProject(dir, "cached");
  await runPipeline(project, benchPipeline(), { registry });
  return project;
}

/** Part 2: plan and run with nothing changed. */
async function nothingChanged(project: Project, what: "plan" | "cached" | "both"): Promise<void> {
  console.log(`\n2. nothing changed`);
  for (let round = 0; round < ROUNDS; round++) {
    if (what !== "cached") {
      const l = load();
      const plan = await measure(() => planPipeline(project, benchPipeline(), { registry }));
      console.log(`   planPipeline               ${ms(plan.wall).padStart(9)}  cpu ${ms(plan.cpu)}  load ${l}  (target <= 5 s at 100k rows)`);
    }
    if (what !== "plan") {
      const l = load();
      const cached = await measure(() => runPipeline(project, benchPipeline(), { registry }));
      console.log(`   runPipeline (all cached)   ${ms(cached.wall).padStart(9)}  cpu ${ms(cached.cpu)}  load ${l}  (target <= 5 s at 100k rows)`);
    }
  }
}

/** Part 3: 10 dataset rows changed. */
async function changed(project: Project): Promise<void> {
  const qa = await project.getDataset("qa");
  for (let i = 0; i < 10; i++) await qa.update(`r${i * 7}`, { question: `changed ${i} ${Date.now()}`, answer: "x" });
  let computed = 0;
  const t = await measure(async () => {
    const s = await runPipeline(project, benchPipeline(), { registry });
    computed = Object.values(s.stages).reduce((n, st) => n + st.counts.computed, 0);
  });
  console.log(`\n3. 10 dataset rows changed`);
  console.log(`   runPipeline                ${ms(t.wall).padStart(9)}  cpu ${ms(t.cpu)}  (${computed} stage rows computed, the rest cached)`);
}

const keep = process.env.BENCH_DIR;
if (keep) mkdirSync(keep, { recursive: true });
const dir = keep ?? mkdtempSync(path.join(tmpdir(), "themis-bench-pipeline-"));
try {
  console.log(`BENCH_SCALE=${full ? "full" : "small"}: 3 stages x ${N.toLocaleString("en-US")} rows on local/csv, local executor, concurrency ${CONCURRENCY}`);
  if (ONLY === undefined || ONLY === "full") await fullRuns(dir);
  if (ONLY === "pipeline" || ONLY === "by-hand") {
    for (let round = 0; round < ROUNDS; round++) {
      const project = await freshProject(dir, `alone-${round}`);
      const l = load();
      const t = await measure(() => (ONLY === "pipeline" ? runPipeline(project, benchPipeline(), { registry }) : byHand(project)));
      if (process.env.BENCH_JSON) console.log(JSON.stringify(t));
      (globalThis as { gc?: () => void }).gc?.();
      console.log(`   ${ONLY} alone ${ms(t.wall)} cpu ${ms(t.cpu)} load ${l}, heap ${Math.round(process.memoryUsage().heapUsed / 2 ** 20)} MiB after`);
      await project.close();
      rmSync(path.join(dir, `alone-${round}`), { recursive: true, force: true });
    }
  }
  if (ONLY !== "full" && ONLY !== "pipeline" && ONLY !== "by-hand") {
    const project = await computedProject(dir);
    if (ONLY === undefined || ONLY === "plan" || ONLY === "cached") await nothingChanged(project, ONLY ?? "both");
    if (ONLY === undefined) {
      const resume = () =>
        project.runExperiment({
          dataset: "qa",
          experiment: "h-gen",
          task: generate as (row: StoredRow) => unknown,
          execution: "local",
          registry,
          resume: true,
        });
      await resume(); // computes it the first time
      const t = await measure(resume);
      console.log(`   one runExperiment resume   ${ms(t.wall).padStart(9)}  (a 1-stage experiment, all rows done, for scale)`);
    }
    if (ONLY === undefined || ONLY === "changed") await changed(project);
    await project.close();
  }
} finally {
  if (!keep) rmSync(dir, { recursive: true, force: true });
}
