// A 3-stage pipeline (generate -> answer -> score) over N rows on local/csv, local executor:
//   - a full run vs the same three runExperiment calls written by hand (each stage's results
//     copied into a dataset for the next, as a user would without @themis/pipeline);
//   - a cached re-plan and re-run with nothing changed; a re-run after 10 rows changed.
//   node bench/pipeline.bench.ts                 (BENCH_SCALE=small: 2 000 rows)
//   BENCH_SCALE=full node bench/pipeline.bench.ts (100 000 rows; BENCH_ROWS=N for another size)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { localCsvBackend } from "@themis/backend-local-csv";
import { Project, Registry, type StoredRow } from "@themis/core";
import { definePipeline, planPipeline, runPipeline, stage } from "@themis/pipeline";
import { shortRows } from "./support/rows.ts";

const full = process.env.BENCH_SCALE === "full";
const N = process.env.BENCH_ROWS ? Number(process.env.BENCH_ROWS) : full ? 100_000 : 2_000;
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
  await copy("h-ans", "h-ans-out", (r) => ({ text: (r.output as { text: string }).text, expected: gens.get(r.dataset_row_id as string)!.expected }));
  await run("h-ans-out", "h-score", score as (row: unknown) => unknown);
}

const time = async (fn: () => Promise<unknown>): Promise<number> => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};
const ms = (t: number): string => `${t.toFixed(0)} ms`;
/** CPU time (user + system) of `fn`: on a loaded machine, closer to what an idle one would take than wall time. */
const cpuOf = async (fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> => {
  const before = process.cpuUsage();
  const wall = await time(fn);
  const d = process.cpuUsage(before);
  return { wall, cpu: (d.user + d.system) / 1000 };
};
const rate = (n: number, t: number): string => `${Math.round((n * 1000) / t).toLocaleString("en-US")} rows/s`;

const dir = mkdtempSync(path.join(tmpdir(), "themis-bench-pipeline-"));
try {
  console.log(`BENCH_SCALE=${full ? "full" : "small"}: 3 stages x ${N.toLocaleString("en-US")} rows on local/csv, local executor, concurrency ${CONCURRENCY}`);
  const a = await freshProject(dir, "pipeline");
  const b = await freshProject(dir, "by-hand");
  const tPipeline = await time(() => runPipeline(a, benchPipeline(), { registry }));
  const tHand = await time(() => byHand(b));
  console.log(`\n1. full run`);
  console.log(`   runPipeline                ${ms(tPipeline).padStart(9)}  ${rate(3 * N, tPipeline)} (stage rows)`);
  console.log(`   3 runExperiment by hand    ${ms(tHand).padStart(9)}  ${rate(3 * N, tHand)}`);
  console.log(`   throughput ratio pipeline/by hand: ${(tHand / tPipeline).toFixed(2)}x (target >= 0.9x)`);

  const plan = await cpuOf(() => planPipeline(a, benchPipeline(), { registry }));
  const cached = await cpuOf(() => runPipeline(a, benchPipeline(), { registry }));
  const tCached = cached.wall;
  const tResume = await time(() =>
    b.runExperiment({ dataset: "qa", experiment: "h-gen", task: generate as (row: StoredRow) => unknown, execution: "local", registry, resume: true }),
  );
  console.log(`\n2. nothing changed`);
  console.log(`   planPipeline               ${ms(plan.wall).padStart(9)}  cpu ${ms(plan.cpu)}  (target <= 5 s at 100k rows)`);
  console.log(`   runPipeline (all cached)   ${ms(cached.wall).padStart(9)}  cpu ${ms(cached.cpu)}  (target <= 5 s at 100k rows)`);
  console.log(
    `   one runExperiment resume   ${ms(tResume).padStart(9)}  (stage 1 only, all rows done): pipeline/resume ${(tCached / tResume).toFixed(2)}x for 3 stages`,
  );

  const qa = await a.getDataset("qa");
  for (let i = 0; i < 10; i++) await qa.update(`r${i * 7}`, { question: `changed ${i}`, answer: "x" });
  let computed = 0;
  const tChanged = await time(async () => {
    const s = await runPipeline(a, benchPipeline(), { registry });
    computed = Object.values(s.stages).reduce((n, st) => n + st.counts.computed, 0);
  });
  console.log(`\n3. 10 dataset rows changed`);
  console.log(`   runPipeline                ${ms(tChanged).padStart(9)}  (${computed} stage rows computed, the rest cached)`);
  await a.close();
  await b.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
