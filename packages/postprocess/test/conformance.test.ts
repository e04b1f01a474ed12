import path from "node:path";
import { postprocessSuite } from "@themis/conformance";
import { Project, memoryBackend } from "@themis/core";
import { expect } from "vitest";
import { archivePostprocessor, exportPostprocessor, summaryPostprocessor } from "../src/index.js";

// The shipped postprocessors pass the suite third parties run.
postprocessSuite({
  definition: summaryPostprocessor,
  config: () => ({}),
  invalidConfig: { metrics: "f1" },
  verify: (report) => expect(report.data).toMatchObject({ ok: 20, failed: 5 }),
});

for (const format of ["csv", "jsonl", "parquet"] as const) {
  postprocessSuite({
    definition: exportPostprocessor,
    config: ({ dir }) => ({ path: path.join(dir, `out.${format}`), overwrite: true }),
    invalidConfig: { path: "out.csv", format: "xlsx" },
    verify: (report, _rows, { dir }) => expect(report.artifacts).toEqual([path.join(dir, `out.${format}`)]),
  });
}

postprocessSuite({
  definition: archivePostprocessor,
  config: ({ dir }) => ({ storage: "memory", config: { namespace: `archive-${path.basename(dir)}` } }),
  invalidConfig: { storage: "" },
  verify: async (_report, rows, { dir }) => {
    const target = await Project.open("pp", memoryBackend, { namespace: `archive-${path.basename(dir)}` });
    expect(await (await target.getExperiment("results")).load()).toEqual(rows);
    await target.close();
  },
});
