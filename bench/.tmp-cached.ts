import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Session } from "node:inspector/promises";
import { writeFileSync } from "node:fs";
import { localCsvBackend } from "@themis/backend-local-csv";
import { Project, Registry, type StoredRow } from "@themis/core";
import { definePipeline, planPipeline, runPipeline, stage } from "@themis/pipeline";
import { shortRows } from "/work/wt/pipeline/bench/support/rows.ts";
const N = Number(process.env.N ?? 100000);
const registry = new Registry({ discover: false });
const generate = (row: StoredRow<any>) => ({ prompt: `Q: ${row.question}`, expected: row.answer });
const answer = (p: { prompt: string }) => ({ text: p.prompt.slice(3) });
function benchPipeline() {
  const gen = stage({ dataset: "qa", execution: "local", concurrency: 16, task: generate });
  const ans = stage({ from: gen, execution: "local", concurrency: 16, task: answer });
  const sc = stage({ from: { ans, gen }, execution: "local", concurrency: 16, task: (x: any) => ({ exact: x.ans.text === x.gen.expected }) });
  return definePipeline({ name: "bench", stages: { gen, ans, sc } });
}
const dir = mkdtempSync(path.join(tmpdir(), "themis-bench-cached-"));
const project = await Project.create("p", localCsvBackend, { rootDir: dir });
await (await project.createDataset("qa")).appendMany(shortRows(N).map((r, i) => ({ ...r, _row_id: `r${i}` })));
let t = performance.now();
await runPipeline(project, benchPipeline(), { registry });
console.log("full", Math.round(performance.now() - t));
const session = new Session(); session.connect();
if (process.env.PROF) { await session.post("Profiler.enable"); await session.post("Profiler.start"); }
t = performance.now(); await planPipeline(project, benchPipeline(), { registry }); console.log("plan", Math.round(performance.now() - t));
t = performance.now(); await runPipeline(project, benchPipeline(), { registry }); console.log("cached run", Math.round(performance.now() - t));
if (process.env.PROF) { const { profile } = await session.post("Profiler.stop"); writeFileSync("/tmp/pbench/cached.cpuprofile", JSON.stringify(profile)); }
await project.close();
rmSync(dir, { recursive: true, force: true });
