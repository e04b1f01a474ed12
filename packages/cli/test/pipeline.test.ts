import { spawn } from "node:child_process";
import { readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { localCsvBackend } from "@themis/backend-local-csv";
import { Project } from "@themis/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BIN, makeApp, themis, themisJson } from "./helpers.js";

const pipelinePackage = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../pipeline");
const postprocessPackage = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../postprocess");

// Two stages; `second` fails on row r2 (and, with FAIL_ALL set, nowhere else either).
const PIPELINE = `
import { definePipeline, stage } from "@themis/pipeline";
const first = stage({ dataset: "nums", execution: "local", task: (row) => row.n });
const second = stage({ from: first, execution: "sequential", task: (n) => { if (n === 2) throw new Error("two"); return n * 10; } });
export default definePipeline({ name: "nums", stages: { first, second } });
`;

// \`slow\` holds each row a minute: only a cancel ends the run.
const SLOW = `
import { definePipeline, stage } from "@themis/pipeline";
const first = stage({ dataset: "nums", execution: "local", task: (row) => row.n });
const slow = stage({ from: first, execution: "local", concurrency: 1, task: async (n) => { await new Promise((r) => setTimeout(r, 60_000)); return n; } });
export default definePipeline({ name: "slowp", stages: { first, slow } });
`;

/** \`themis pipeline run FILE --json\` in the background; resolves with its exit code and output. */
function startRun(file: string): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [BIN, "pipeline", "run", file, "--json"], { cwd: app, env: { ...process.env, NO_COLOR: "1" } });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, out })));
}

/** The running stage run of \`slowp\`'s slow stage (other than \`not\`), from \`themis runs list\`. */
async function runningStage(not?: string): Promise<{ run_id: string; pipeline_run: string }> {
  for (;;) {
    const listed = await themisJson(app, ["runs", "list", "-e", "slowp-slow"]).catch(() => undefined);
    const run = listed?.json?.find?.((r: { state: string; run_id: string }) => r.state === "running" && r.run_id !== not);
    if (run) return (await themisJson(app, ["runs", "show", run.run_id])).json;
    await sleep(100);
  }
}

let app: string;
beforeAll(async () => {
  app = makeApp(["local-csv"], {
    "themis.config.yaml": "project: p\nstorage:\n  type: local/csv\n  rootDir: ./data\n",
    "pipeline.mjs": PIPELINE,
    "nothing.mjs": "export const x = 1;\n",
    "slow.mjs": SLOW,
  });
  symlinkSync(pipelinePackage, path.join(app, "node_modules", "@themis", "pipeline"), "dir");
  // The shipped postprocessors, installed the way a user installs them (a dependency).
  symlinkSync(postprocessPackage, path.join(app, "node_modules", "@themis", "postprocess"), "dir");
  const pkg = JSON.parse(readFileSync(path.join(app, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  pkg.dependencies["@themis/postprocess"] = "*";
  writeFileSync(path.join(app, "package.json"), JSON.stringify(pkg));
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

  it("postprocess: installed postprocessors are listed as backends and run on an experiment", async () => {
    const listed = await themisJson(app, ["backends", "list"]);
    const kinds = Object.fromEntries((listed.json as { backends: { name: string; kind: string }[] }).backends.map((b) => [b.name, b.kind]));
    expect(kinds).toMatchObject({ summary: "postprocess", export: "postprocess", archive: "postprocess" });
    await themis(app, ["pipeline", "run", "pipeline.mjs"]);
    const summary = await themis(app, ["pipeline", "postprocess", "summary", "-e", "nums-second"]);
    expect(summary.code).toBe(0);
    expect(summary.stdout).toMatch(/^output\s+3\s+/m);
    const exported = await themisJson(app, ["pipeline", "postprocess", "export", "-e", "nums-second", "--with", '{"path":"second.csv"}']);
    expect(exported.json, JSON.stringify(exported.json)).toMatchObject({ postprocessor: "export", rows: 4 });
    expect(readFileSync(path.join(app, "second.csv"), "utf8").split("\n")[0]).toMatch(/^_row_id,dataset_row_id,status,output/);
    const bad = await themisJson(app, ["pipeline", "postprocess", "export", "-e", "nums-second", "--with", '{"path":"second.csv"}']);
    expect(bad.json.error.code).toBe("ERR_THEMIS_ALREADY_EXISTS");
    const unknown = await themis(app, ["pipeline", "postprocess", "summry", "-e", "nums-second"]);
    expect(unknown.stderr).toMatch(/no postprocessor named "summry".*Did you mean "summary"/s);
  });

  it("runs cancel: a stage run stops that stage (and what is downstream of it), a pipeline run every stage; an unknown id says so", async () => {
    const first = startRun("slow.mjs");
    const stageRun = await runningStage();
    expect(stageRun.pipeline_run).toEqual(expect.any(String));
    const cancel = await themis(app, ["runs", "cancel", stageRun.run_id, "--reason", "too slow"]);
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toMatch(/stage slow of pipeline run \S+ and the stages downstream of it stop/);
    const ended = await first;
    expect(ended.code).toBe(1);
    expect(JSON.parse(ended.out)).toMatchObject({ status: "cancelled", stages: { first: { counts: { computed: 4 } }, slow: { counts: { computed: 0 } } } });
    expect((await themisJson(app, ["runs", "show", stageRun.run_id])).json).toMatchObject({ state: "cancelled", reason: "too slow" });
    expect((await themisJson(app, ["runs", "cancel", stageRun.run_id])).json).toMatchObject({ state: "cancelled", requested: false });

    const second = startRun("slow.mjs");
    const again = await runningStage(stageRun.run_id);
    const whole = await themisJson(app, ["runs", "cancel", again.pipeline_run]);
    expect(whole.json).toMatchObject({ run_id: again.pipeline_run, pipeline: "slowp", requested: true });
    const stopped = await second;
    expect(JSON.parse(stopped.out)).toMatchObject({ runId: again.pipeline_run, status: "cancelled", stages: { first: { counts: { cached: 4 } } } });
    expect((await themisJson(app, ["runs", "cancel", again.pipeline_run])).json).toMatchObject({ state: "cancelled", requested: false });

    const unknown = await themis(app, ["runs", "cancel", "no-such-run"]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/no run "no-such-run": neither an experiment or stage run .* nor a pipeline run/);
  }, 120_000);
});
