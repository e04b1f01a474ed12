import { rmSync, symlinkSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { localCsvBackend } from "@themis/backend-local-csv";
import { Project } from "@themis/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeApp, themis, themisJson } from "./helpers.js";

const pipelinePackage = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../pipeline");

// Two stages; `second` fails on row r2 (and, with FAIL_ALL set, nowhere else either).
const PIPELINE = `
import { definePipeline, stage } from "@themis/pipeline";
const first = stage({ dataset: "nums", execution: "local", task: (row) => row.n });
const second = stage({ from: first, execution: "sequential", task: (n) => { if (n === 2) throw new Error("two"); return n * 10; } });
export default definePipeline({ name: "nums", stages: { first, second } });
`;

let app: string;
beforeAll(async () => {
  app = makeApp(["local-csv"], {
    "themis.config.yaml": "project: p\nstorage:\n  type: local/csv\n  rootDir: ./data\n",
    "pipeline.mjs": PIPELINE,
    "nothing.mjs": "export const x = 1;\n",
  });
  symlinkSync(pipelinePackage, path.join(app, "node_modules", "@themis", "pipeline"), "dir");
  const project = await Project.create("p", localCsvBackend, { rootDir: path.join(app, "data") });
  await (await project.createDataset("nums")).appendMany([0, 1, 2, 3].map((n) => ({ _row_id: `r${n}`, n })));
  await project.close();
});
afterAll(() => rmSync(app, { recursive: true, force: true }));

describe("themis pipeline", () => {
  it("run: exit 1 when rows failed, with the counts of each stage; plan --explain says what runs again", async () => {
    const run = await themisJson(app, ["pipeline", "run", "pipeline.mjs"]);
    expect(run.code).toBe(1);
    expect(run.json.status).toBe("failed");
    expect(run.json.stages.second.counts).toMatchObject({ computed: 3, failed: 1 });
    const plan = await themis(app, ["pipeline", "plan", "pipeline.mjs", "--explain"]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toMatch(/second: 1 of 4 rows run/);
    expect(plan.stdout).toMatch(/1\s+failed-before\s+\(e\.g\. r2\)/);
    const only = await themisJson(app, ["pipeline", "run", "pipeline.mjs", "--only", "second"]);
    expect(only.json.stages.first.mode).toBe("stored");
    expect(only.json.stages.second.counts).toMatchObject({ computed: 0, cached: 3, failed: 1 });
  });

  it("an unknown --from stage is a config error; a file without a pipeline is a usage error", async () => {
    const unknown = await themisJson(app, ["pipeline", "run", "pipeline.mjs", "--from", "third"]);
    expect(unknown.code).toBe(1);
    expect(unknown.json.error.code).toBe("ERR_THEMIS_INVALID_CONFIG");
    const none = await themis(app, ["pipeline", "plan", "nothing.mjs"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("exports no pipeline");
  });
});
