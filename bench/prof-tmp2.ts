import { Project, localBackend } from "@themis/core";
const N = 10000;
const project = await Project.create("bench", "memory", { namespace: `prof-${Date.now()}` });
const dataset = await project.createDataset<{ question: string; n: number }>("inputs");
await dataset.appendMany(Array.from({ length: N }, (_, i) => ({ question: `q${i}`, n: i })));
const scorer = async (row: { n: number }) => ({ answer: row.n * 2, correct: true });
const executor = await localBackend.create(localBackend.configSchema.parse({}));
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  await project.runExperiment({ dataset: "inputs", experiment: `off${i}`, task: scorer, execution: executor, concurrency: 16 });
  console.log(Math.round(performance.now() - t));
}
await executor.close(); await project.close();
