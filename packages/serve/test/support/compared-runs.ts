// Two real runs (runExperiment) of one dataset whose scores differ by a planted amount, in
// their own project: the compare tests know every answer in advance.
import { Project } from "@themis/core";
import { localCsvBackend } from "@themis/backend-local-csv";

export const COMPARE_PROJECT = "compare";
const ROWS = 40;
/** Run B scores `quality` one point higher on the rows with n below this (and the same elsewhere). */
const PLANTED_BELOW = 20;

export interface ComparedRuns {
  a: string;
  b: string;
  /** Dataset row ids of the rows whose results differ between the runs. */
  changed: string[];
  rows: number;
}

export async function makeComparedRuns(rootDir: string): Promise<ComparedRuns> {
  const project = await Project.create(COMPARE_PROJECT, localCsvBackend, { rootDir });
  try {
    const ids = await (await project.createDataset("items")).appendMany(Array.from({ length: ROWS }, (_, n) => ({ n })));
    const score = (n: number, bonus: number) => ({ output: `item ${n}`, scores: { correct: n % 2 === 0, quality: (n % 5) + bonus } });
    const a = await project.runExperiment({
      dataset: "items",
      experiment: "baseline",
      task: (row) => score(row.n as number, 0),
      parameters: { model: "small" },
    });
    const b = await project.runExperiment({
      dataset: "items",
      experiment: "candidate",
      task: (row) => score(row.n as number, (row.n as number) < PLANTED_BELOW ? 1 : 0),
      parameters: { model: "large" },
    });
    return { a: a.runId, b: b.runId, changed: ids.slice(0, PLANTED_BELOW), rows: ROWS };
  } finally {
    await project.close();
  }
}
