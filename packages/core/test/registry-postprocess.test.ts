import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Project, Registry, definePostprocessor, memoryBackend, runPostprocess } from "../src/index.js";
import { makeApp } from "./fixtures.js";

// A postprocessor module as a third party would publish it: counts rows whose status is ok.
const countModule = `
import { createRequire } from "node:module";
import { definePostprocessor } from "@themis/core";
// zod is core's dependency, not this fixture's: resolve it from core.
const { z } = await import(createRequire(import.meta.resolve("@themis/core")).resolve("zod"));
export default definePostprocessor({
  name: "fx/count",
  description: "counts ok rows",
  configSchema: z.strictObject({ status: z.string().default("ok") }),
  create: (config) => ({
    name: "fx/count",
    async run(input) {
      let rows = 0, matched = 0;
      for await (const row of input.rows) { rows++; if (row.status === config.status) matched++; }
      return { postprocessor: "fx/count", message: matched + " of " + rows, rows, artifacts: [], data: { matched } };
    },
  }),
});
`;

async function projectWithResults(): Promise<Project> {
  const project = await Project.create("p", memoryBackend, { namespace: `pp-${Math.random()}` });
  const e = await project.createExperiment("e");
  await e.appendMany([
    { status: "ok", run_id: "a" },
    { status: "error", run_id: "a" },
    { status: "ok", run_id: "b" },
  ]);
  return project;
}

describe("postprocess: a third registry kind", () => {
  const app = makeApp("pnpm", [
    { name: "themis-fx-count", themisBackends: { "fx/count": { kind: "postprocess", entry: "./index.js" } }, files: { "index.js": countModule } },
  ]);

  it("is discovered from themisBackends, listed with its kind, and runs on an experiment's rows", async () => {
    const registry = new Registry({ cwd: app });
    expect((await registry.list()).find((b) => b.name === "fx/count")).toMatchObject({ kind: "postprocess", source: "discovered", status: "not-loaded" });
    const project = await projectWithResults();
    const report = await runPostprocess(project, "fx/count", { experiment: "e", registry });
    expect(report).toMatchObject({ rows: 3, data: { matched: 2 } });
    const oneRun = await runPostprocess(project, "fx/count", { experiment: "e", runId: "a", registry, config: { status: "error" } });
    expect(oneRun).toMatchObject({ rows: 2, data: { matched: 1 } });
    await project.close();
  });

  it("validates the config before reading anything, and names the kind when asked for another", async () => {
    const registry = new Registry({ cwd: app });
    const project = await projectWithResults();
    await expect(runPostprocess(project, "fx/count", { experiment: "e", registry, config: { status: 3 } })).rejects.toMatchObject({
      code: "ERR_THEMIS_INVALID_CONFIG",
    });
    await expect(runPostprocess(project, "fx/count", { experiment: "missing", registry })).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    await expect(registry.get("fx/count", "storage")).rejects.toThrow(/is a postprocessor, not a storage backend/);
    await expect(registry.get("summry", "postprocess")).rejects.toThrow(/no postprocessor named "summry".*summary/);
    await project.close();
  });

  it("accepts a definition registered in code", async () => {
    const registry = new Registry({ discover: false }).register(
      definePostprocessor({
        name: "inline",
        configSchema: z.strictObject({}),
        create: () => ({ name: "inline", run: async () => ({ postprocessor: "inline", message: "", rows: 0, artifacts: [], data: null }) }),
      }),
    );
    expect((await registry.list()).find((b) => b.name === "inline")).toMatchObject({ kind: "postprocess", source: "registered" });
  });
});
