/**
 * The README's main job, end to end: a project on local/csv, a dataset filled, updated and
 * read back, and an experiment run with the local executor. Run it twice: the second run
 * resumes and does no work.
 *
 *   pnpm demo                      (from the repository root; builds first)
 *   cd examples/demo && node index.ts   (after `pnpm build`; backends are discovered from
 *                                       the package.json of the folder you run in)
 *
 * Data goes to examples/demo/.themis-demo/ (or $THEMIS_DEMO_DIR). Delete it to start over.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Project, type Row } from "@themis/core";
import { solve } from "./tasks.ts";

/** One arithmetic question and the answer we expect. */
interface Question extends Row {
  question: string;
  expected: string;
}

const rootDir = path.resolve(process.env.THEMIS_DEMO_DIR ?? fileURLToPath(new URL("./.themis-demo/", import.meta.url)));

const questions: Question[] = [
  { question: "2 + 2", expected: "4" },
  { question: "12 * 7", expected: "84" },
  { question: "100 - 58", expected: "42" },
  { question: "81 / 9", expected: "9" },
  { question: "3 * 3 * 3", expected: "27" },
  { question: "10 - 3 - 2", expected: "5" },
  { question: "7 / 2", expected: "3.5" },
  { question: "2 * (3 + 4)", expected: "14" },
  { question: "1 / 0", expected: "Infinity" },
  { question: "9 - 10", expected: "1" }, // wrong on purpose: fixed below with update()
];

const project = await Project.openOrCreate("demo", "local/csv", { rootDir });
try {
  // 1. A dataset: created and filled once.
  const existing = await project.listDatasets();
  const qa = existing.includes("arithmetic") ? await project.getDataset<Question>("arithmetic") : await project.createDataset<Question>("arithmetic");
  if (!existing.includes("arithmetic")) await qa.appendMany(questions);

  // 2. Update a row (the last expected answer is wrong) and read it back.
  const rows = await qa.load();
  const wrong = rows.find((r) => r.question === "9 - 10")!;
  await qa.update(wrong._row_id, { question: wrong.question, expected: "-1" });
  const fixed = await qa.get(wrong._row_id);
  console.log(`dataset "arithmetic": ${rows.length} rows; fixed row ${fixed._row_id.slice(0, 8)}: ${fixed.question} = ${fixed.expected}`);

  // 3. An experiment: every row through the local executor, results appended as they
  //    complete; `resume` skips rows a previous run already did.
  const summary = await project.runExperiment<Question>({
    dataset: "arithmetic",
    experiment: "arithmetic-baseline",
    task: (row, { signal }) => solve(row, { signal }),
    taskId: "solve@1",
    parameters: { model: "tiny-evaluator", version: 1 },
    execution: "local",
    concurrency: 4,
    resume: true,
  });

  const results = await (await project.getExperiment("arithmetic-baseline")).load();
  const correct = results.filter((r) => r.status === "ok" && (r.output as { correct?: boolean }).correct).length;
  console.log(
    [
      `experiment "arithmetic-baseline" (run ${summary.runId.slice(0, 8)}, ${summary.status}):`,
      `  this run: ${summary.succeeded} done, ${summary.failed} failed, ${summary.skipped} skipped (already done) in ${summary.durationMs.toFixed(0)} ms`,
      `  results: ${results.length} rows, ${correct}/${results.length} correct`,
      `  stored in ${path.join(rootDir, "demo", "experiments", "arithmetic-baseline.csv")}`,
      summary.succeeded + summary.failed === 0
        ? "  nothing to do: every row was already done (resume)"
        : "  run it again: resume makes the next run do nothing",
    ].join("\n"),
  );
} finally {
  await project.close();
}
