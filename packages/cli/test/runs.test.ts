import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Project, type Row } from "@themis/core";
import { localCsvBackend } from "@themis/backend-local-csv";
import { BIN, makeApp, themis, themisJson } from "./helpers.js";
import { formatEta, progressLine } from "../src/progress.js";

const CONFIG = "project: demo\nstorage:\n  type: local/csv\n  rootDir: ./data\n";

const TASKS = `
import { appendFileSync } from "node:fs";
export async function slow(row) {
  if (process.env.THEMIS_TEST_MARKER) appendFileSync(process.env.THEMIS_TEST_MARKER, row._row_id + "\\n");
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.THEMIS_TEST_SLEEP ?? 20)));
  return { n: row.n };
}
export function scored(row) {
  return { output: row.n, scores: { exact: row.n % 2 === 0 || (process.env.BETTER === "1" && row.n % 10 === 1), quality: row.n % 7 + (process.env.BETTER === "1" ? 1 : 0) } };
}
export function broken() {
  throw Object.assign(new Error("API key missing"), { code: "E_NO_KEY" });
}
export const plain = (row) => row.n;
let arrived = 0;
export async function barrier() {
  arrived++;
  const deadline = Date.now() + 30000;
  while (arrived < 8 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  return { reached: arrived >= 8 };
}
`;

async function seededApp(rows: number): Promise<string> {
  const app = makeApp(["local-csv"], { "themis.config.yaml": CONFIG, "tasks.mjs": TASKS });
  const project = await Project.create("demo", localCsvBackend, { rootDir: path.join(app, "data") });
  await (await project.createDataset("qa")).appendMany(Array.from({ length: rows }, (_, n) => ({ n })));
  await project.close();
  return app;
}

async function results(app: string, experiment: string): Promise<Row[]> {
  const p = await Project.open("demo", localCsvBackend, { rootDir: path.join(app, "data") });
  try {
    return await (await p.getExperiment(experiment)).load();
  } finally {
    await p.close();
  }
}

/** `themis ...args` as a child process we can kill; output collected. */
function start(
  app: string,
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; exited: Promise<number | null>; out: () => string; err: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: app, env: { ...process.env, NO_COLOR: "1", ...env } });
  let out = "";
  let err = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, out: () => out, err: () => err };
}

/** Poll `themis runs list` until a run of `experiment` is in `state`. */
async function waitForRun(app: string, experiment: string, state: string): Promise<{ run_id: string; state: string }> {
  for (;;) {
    const listed = await themisJson(app, ["runs", "list", "-e", experiment]).catch(() => undefined);
    const run = listed?.json?.find?.((r: { state: string }) => r.state === state);
    if (run) return run;
    await sleep(100);
  }
}

describe("themis runs: liveness and cancel across processes", () => {
  it("kill -9 of a runner: its run reads stale, and --resume takes its rows over (one result per row)", async () => {
    const app = await seededApp(60);
    const marker = path.join(app, "started.txt");
    const env = { THEMIS_TEST_MARKER: marker, THEMIS_TEST_SLEEP: "200" };
    const runner = start(app, ["run", "./tasks.mjs#slow", "-d", "qa", "-e", "slow", "-j", "2", "--heartbeat-ms", "200"], env);
    const { run_id } = await waitForRun(app, "slow", "running");
    runner.child.kill("SIGKILL");
    await runner.exited;
    const stale = await waitForRun(app, "slow", "stale");
    expect(stale.run_id).toBe(run_id);
    const resumed = await themisJson(app, ["run", "./tasks.mjs#slow", "-d", "qa", "-e", "slow", "-j", "4", "--resume", "--heartbeat-ms", "200"], env);
    expect(resumed.code).toBe(0);
    expect(resumed.json).toMatchObject({ status: "completed", total: 60, failed: 0 });
    const rows = await results(app, "slow");
    expect(rows).toHaveLength(60);
    expect(new Set(rows.map((r) => r.dataset_row_id)).size).toBe(60);
    // The killed run stays stale in the list: its state is derived, never rewritten by others.
    expect((await themisJson(app, ["runs", "show", run_id])).json).toMatchObject({ state: "stale", status: "running", pid: runner.child.pid });
  }, 120_000);

  it("runs cancel: the runner in another process stops at its next heartbeat, status cancelled with the reason", async () => {
    const app = await seededApp(400);
    const runner = start(app, ["run", "./tasks.mjs#slow", "-d", "qa", "-e", "slow", "-j", "1", "--heartbeat-ms", "200", "--json"], {
      THEMIS_TEST_SLEEP: "100",
    });
    const { run_id } = await waitForRun(app, "slow", "running");
    const cancel = await themis(app, ["runs", "cancel", run_id, "--reason", "wrong model"]);
    expect(cancel).toMatchObject({ code: 0, stdout: expect.stringMatching(/cancel requested/) });
    expect(await runner.exited).toBe(1);
    expect(JSON.parse(runner.out())).toMatchObject({ status: "cancelled", reason: "wrong model" });
    const shown = await themisJson(app, ["runs", "show", run_id]);
    expect(shown.json).toMatchObject({ state: "cancelled", reason: "wrong model" });
    expect(shown.json.counts.succeeded).toBeLessThan(400);
  }, 120_000);

  it("three runners with --resume at once on local/csv: exactly one result per dataset row, each row run once", async () => {
    const app = await seededApp(300);
    const marker = path.join(app, "started.txt");
    writeFileSync(marker, "");
    const runners = [0, 1, 2].map(() =>
      start(app, ["run", "./tasks.mjs#slow", "-d", "qa", "-e", "shared2", "-j", "4", "--resume", "--json"], {
        THEMIS_TEST_MARKER: marker,
        THEMIS_TEST_SLEEP: "5",
      }),
    );
    expect(await Promise.all(runners.map((r) => r.exited))).toEqual([0, 0, 0]);
    const summaries = runners.map((r) => JSON.parse(r.out()));
    expect(summaries.reduce((n, s) => n + s.succeeded, 0)).toBe(300);
    const rows = await results(app, "shared2");
    expect(rows).toHaveLength(300);
    expect(new Set(rows.map((r) => r.dataset_row_id)).size).toBe(300);
    const started = readFileSync(marker, "utf8").trim().split("\n");
    expect(started).toHaveLength(300);
    expect(new Set(started).size).toBe(300);
  }, 180_000);
});

describe("themis run: progress, fail fast, honest resume", () => {
  it("outside a terminal: plain progress lines on stderr; --progress json writes JSON-lines events", async () => {
    const app = await seededApp(30);
    const plain = await themis(app, ["run", "./tasks.mjs#plain", "-d", "qa", "-e", "p1"]);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toMatch(/^\[themis\] run \S+ started: 30 rows of "qa" -> experiment "p1"$/m);
    expect(plain.stderr).toMatch(/^\[themis\] 30\/30 rows \(0 failed\) \| [\d.]+ rows\/s \| ETA 0s$/m);
    const json = await themis(app, ["run", "./tasks.mjs#plain", "-d", "qa", "-e", "p2", "--progress", "json"]);
    const events = json.stderr
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events[0]).toMatchObject({ type: "run-started", total: 30 });
    expect(events.at(-1)).toMatchObject({ type: "run-ended", status: "completed", succeeded: 30 });
    expect(events.some((e) => e.type === "progress" && e.done === 30)).toBe(true);
  }, 60_000);

  it("-j is jobs in flight, independent of --threads: 8 module jobs at once on one thread", async () => {
    const app = await seededApp(8);
    const run = await themisJson(app, ["run", "./tasks.mjs#barrier", "-d", "qa", "-e", "j", "-j", "8", "--threads", "1"]);
    expect(run.json).toMatchObject({ status: "completed", succeeded: 8 });
    expect((await results(app, "j")).map((r) => r.output)).toEqual(Array(8).fill({ reached: true }));
    const usage = await themis(app, ["run", "./tasks.mjs#plain", "-d", "qa", "-e", "k", "-x", "sequential", "--threads", "2"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--threads is an option of the local executor/);
  }, 60_000);

  it("a task failing the same way on the first rows stops the run with one clear error", async () => {
    const app = await seededApp(500);
    const run = await themis(app, ["run", "./tasks.mjs#broken", "-d", "qa", "-e", "b", "-j", "2"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/run stopped: the first 5 rows failed with E_NO_KEY: API key missing/);
    expect((await results(app, "b")).length).toBeLessThanOrEqual(7);
    const missing = await themisJson(app, ["run", "./tasks.mjs#nope", "-d", "qa", "-e", "c"]);
    expect(missing.code).toBe(1);
    expect(missing.json.error.message).toMatch(/the first row failed with ERR_THEMIS_INVALID_EXPORT/);
  }, 60_000);

  it("editing the task's file: a resumed run recomputes and says so; --task-version pins it", async () => {
    const app = await seededApp(10);
    expect((await themisJson(app, ["run", "./tasks.mjs#plain", "-d", "qa", "-e", "code", "--resume"])).json).toMatchObject({ succeeded: 10 });
    writeFileSync(path.join(app, "tasks.mjs"), `${TASKS}\n// edited\n`);
    const edited = await themisJson(app, ["run", "./tasks.mjs#plain", "-d", "qa", "-e", "code", "--resume"]);
    expect(edited.json).toMatchObject({ succeeded: 10, skipped: 0 });
    expect(edited.stderr).toMatch(/the task's code changed since run \S+ .*rows are recomputed/);
    await themisJson(app, ["run", "./tasks.mjs#plain", "-d", "qa", "-e", "pinned", "--resume", "--task-version", "1"]);
    writeFileSync(path.join(app, "tasks.mjs"), `${TASKS}\n// edited again\n`);
    expect((await themisJson(app, ["run", "./tasks.mjs#plain", "-d", "qa", "-e", "pinned", "--resume", "--task-version", "1"])).json).toMatchObject({
      succeeded: 0,
      skipped: 10,
    });
  }, 60_000);
});

describe("themis runs list | show | compare | delete", () => {
  it("lists newest first, shows metrics and provenance, compares two runs, deletes with --yes", async () => {
    const app = await seededApp(200);
    const a = await themisJson(app, ["run", "./tasks.mjs#scored", "-d", "qa", "-e", "base"]);
    const b = await themisJson(app, ["run", "./tasks.mjs#scored", "-d", "qa", "-e", "better"], { BETTER: "1" });
    const list = await themisJson(app, ["runs", "list"]);
    expect(list.json.map((r: { run_id: string }) => r.run_id)).toEqual([b.json.runId, a.json.runId]);
    expect((await themisJson(app, ["runs", "list", "-e", "base", "--status", "completed"])).json).toHaveLength(1);
    const table = await themis(app, ["runs", "list"]);
    expect(table.stdout).toMatch(/^run\s+experiment\s+state\s+started/);
    const show = await themis(app, ["runs", "show", a.json.runId]);
    expect(show.stdout).toMatch(/^state:\s+completed$/m);
    expect(show.stdout).toMatch(/^code sha256:\s+[0-9a-f]{64}$/m);
    expect((await themisJson(app, ["runs", "show", a.json.runId])).json.provenance).toMatchObject({
      executorConfig: { maxThreads: expect.any(Number), concurrency: expect.any(Number) },
    });
    expect(show.stdout).toMatch(/^exact\s+200\s+0\.5000\s/m);
    const cmp = await themisJson(app, ["runs", "compare", a.json.runId, b.json.runId]);
    expect(cmp.json.both).toBe(200);
    expect(cmp.json.metrics.find((m: { metric: string }) => m.metric === "quality")).toMatchObject({ delta: 1, significant: true });
    expect(cmp.json.metrics.find((m: { metric: string }) => m.metric === "exact")).toMatchObject({ discordant: { aOnly: 0, bOnly: 20 }, significant: true });
    const same = await themisJson(app, ["runs", "compare", a.json.runId, a.json.runId]);
    expect(same.json.metrics.every((m: { significant: boolean }) => !m.significant)).toBe(true);
    const text = await themis(app, ["runs", "compare", a.json.runId, b.json.runId]);
    expect(text.stdout).toMatch(/^quality\s+200\s.*\+1\s.*yes$/m);
    const refused = await themis(app, ["runs", "delete", a.json.runId]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/pass --yes/);
    expect((await themisJson(app, ["runs", "delete", a.json.runId, "--yes"])).json).toMatchObject({ deleted: true, result_rows: 200 });
    expect(await results(app, "base")).toEqual([]);
    expect((await themisJson(app, ["runs", "show", a.json.runId])).json.error.code).toBe("ERR_THEMIS_NOT_FOUND");
  }, 120_000);

  it("formats ETAs without 60s and progress lines with done/failed/total", () => {
    expect(formatEta(959.6)).toBe("16m00s");
    expect(formatEta(59.6)).toBe("1m00s");
    expect(formatEta(7384)).toBe("2h03m");
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe("?");
    expect(progressLine({ done: 10, failed: 2, skipped: 5, total: 100, ratePerSecond: 2 })).toBe(
      "[themis] 15/100 rows (2 failed, 5 skipped) | 2.0 rows/s | ETA 43s",
    );
  });
});
