import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { makeApp, themis, themisJson } from "./helpers.js";

const demoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "examples", "demo");

describe("the README's demo through the CLI", () => {
  it("themis run evaluates the demo's dataset like the demo does, and shows its results", async () => {
    const app = makeApp(["local-csv"], { "themis.config.yaml": "project: demo\nstorage:\n  type: local/csv\n  rootDir: ./demo-data\n" });
    // The demo itself creates the project, the dataset and its own experiment.
    await promisify(execFile)(process.execPath, [path.join(demoDir, "index.ts")], {
      cwd: demoDir,
      env: { ...process.env, THEMIS_DEMO_DIR: path.join(app, "demo-data") },
    });
    expect((await themisJson(app, ["datasets", "ls"])).json).toEqual(["arithmetic"]);
    const run = await themisJson(app, [
      "run",
      `${path.join(demoDir, "tasks.ts")}#solve`,
      "--dataset",
      "arithmetic",
      "--experiment",
      "arithmetic-cli",
      "-j",
      "4",
      "-P",
      "model=tiny-evaluator",
    ]);
    expect(run.code).toBe(0);
    expect(run.json).toMatchObject({ status: "completed", total: 10, succeeded: 10, failed: 0 });
    const results = (await themisJson(app, ["experiments", "show", "arithmetic-cli"])).json.rows as { output: { correct: boolean } }[];
    expect(results.filter((r) => r.output.correct)).toHaveLength(10);
    const shown = await themis(app, ["experiments", "show", "arithmetic-baseline", "--limit", "3"]);
    expect(shown.stdout).toMatch(/3 rows shown/);
    expect((await themisJson(app, ["experiments", "ls"])).json).toEqual(["arithmetic-baseline", "arithmetic-cli"]);
  });
});
