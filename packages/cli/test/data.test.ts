import { spawn } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Project, type Row } from "@themis/core";
import { localCsvBackend } from "@themis/backend-local-csv";
import { BIN, makeApp, themis, themisJson } from "./helpers.js";
import { seededApp as seeded } from "./seeded-app.js";

const ROWS: Row[] = [
  { question: "2+2?", answer: "4", meta: { n: 1, tags: ["math"] } },
  { question: "capital of France?", answer: "Paris", score: 0.5 },
  { question: "1", answer: 1, ok: true, nothing: null },
];

async function seededApp(files: Record<string, string> = {}, rows: Row[] = ROWS): Promise<{ app: string; ids: string[] }> {
  return seeded(rows, files);
}

async function readTable(rootDir: string, kind: "dataset" | "experiment", name: string, project = "demo"): Promise<Row[]> {
  const p = await Project.open(project, localCsvBackend, { rootDir });
  try {
    return kind === "dataset" ? await (await p.getDataset(name)).load() : await (await p.getExperiment(name)).load();
  } finally {
    await p.close();
  }
}

describe("datasets and experiments", () => {
  it("ls lists the config's project; an explicit project and --storage work too", async () => {
    const { app } = await seededApp();
    expect(await themis(app, ["datasets", "ls"])).toMatchObject({ code: 0, stdout: "qa\n" });
    expect((await themisJson(app, ["datasets", "ls", "demo"])).json).toEqual(["qa"]);
    expect((await themisJson(app, ["experiments", "ls"])).json).toEqual([]);
    expect((await themisJson(app, ["projects", "ls", "--storage", "local/csv", "--option", "rootDir=./data"])).json).toEqual(["demo"]);
    const missing = await themisJson(app, ["datasets", "ls", "nope"]);
    expect(missing.code).toBe(1);
    expect(missing.json.error.code).toBe("ERR_THEMIS_NOT_FOUND");
  });

  it("show prints a readable table; --limit cuts it; JSON gives exact rows", async () => {
    const { app, ids } = await seededApp();
    const { code, stdout } = await themis(app, ["datasets", "show", "qa"]);
    expect(code).toBe(0);
    const [header, rule, ...lines] = stdout.trimEnd().split("\n");
    expect(header).toMatch(/^_row_id\s+question\s+answer\s+meta\s+score\s+ok\s+nothing$/);
    expect(rule).toMatch(/^-+\s+-+/);
    expect(lines[0]).toContain(ids[0]);
    expect(lines[0]).toContain('{"n":1,"tags":["math"]}');
    expect(lines.at(-1)).toBe("3 rows");
    const limited = await themis(app, ["datasets", "show", "qa", "--limit", "1"]);
    expect(limited.stdout).toMatch(/1 row shown \(more/);
    const json = await themisJson(app, ["datasets", "show", "qa", "-n", "2"]);
    expect(json.json).toEqual({ project: "demo", dataset: "qa", more: true, rows: ROWS.slice(0, 2).map((r, i) => ({ _row_id: ids[i], ...r })) });
    expect((await themis(app, ["datasets", "show", "nope"])).code).toBe(1);
  });

  it("export writes JSON Lines exactly and CSV readably, to stdout or atomically to a file", async () => {
    const { app, ids } = await seededApp();
    const jsonl = await themis(app, ["datasets", "export", "qa", "--format", "jsonl"]);
    expect(jsonl.code).toBe(0);
    expect(
      jsonl.stdout
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l)),
    ).toEqual(ROWS.map((r, i) => ({ _row_id: ids[i], ...r })));
    const csv = await themis(app, ["datasets", "export", "qa", "--format", "csv"]);
    expect(csv.stdout.split("\r\n")[0]).toBe("_row_id,question,answer,meta,score,ok,nothing");
    expect(csv.stdout.split("\r\n")[1]).toBe(`${ids[0]},2+2?,4,"{""n"":1,""tags"":[""math""]}",,,`);
    const toFile = await themisJson(app, ["datasets", "export", "qa", "--output", "qa.csv"]);
    expect(toFile.json).toMatchObject({ format: "csv", rows: 3, file: path.join(app, "qa.csv") });
    expect(readFileSync(path.join(app, "qa.csv"), "utf8")).toBe(csv.stdout);
    expect(readdirSync(app).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});

describe("themis copy", () => {
  it("copies local/csv to local/csv with row ids kept, and is idempotent when rerun", async () => {
    const { app } = await seededApp({ "target.yaml": "type: local/csv\nrootDir: ./copy\n" });
    const first = await themisJson(app, ["copy", "demo", "--to", "target.yaml"]);
    expect(first.code).toBe(0);
    expect(first.json.tables).toEqual([{ kind: "dataset", name: "qa", rows: 3, appended: 3, updated: 0, unchanged: 0 }]);
    expect(await readTable(path.join(app, "copy"), "dataset", "qa")).toEqual(await readTable(path.join(app, "data"), "dataset", "qa"));
    const again = await themisJson(app, ["copy", "demo", "--to", "target.yaml"]);
    expect(again.json.tables).toEqual([{ kind: "dataset", name: "qa", rows: 3, appended: 0, updated: 0, unchanged: 3 }]);
    expect(await readTable(path.join(app, "copy"), "dataset", "qa")).toHaveLength(3);
  });

  it("copies back changed rows and new rows on rerun; --from/--to take names with options", async () => {
    const { app } = await seededApp();
    await themis(app, ["copy", "demo", "--to", "local/csv", "--to-option", "rootDir=./copy"]);
    const p = await Project.open("demo", localCsvBackend, { rootDir: path.join(app, "data") });
    const qa = await p.getDataset("qa");
    const [first] = await qa.load();
    await qa.update(first!._row_id, { question: "2+2?", answer: "four" });
    await qa.append({ question: "new" });
    await p.close();
    const rerun = await themisJson(app, [
      "copy",
      "demo",
      "--from",
      "local/csv",
      "--from-option",
      "rootDir=./data",
      "--to",
      "local/csv",
      "--to-option",
      "rootDir=./copy",
    ]);
    expect(rerun.json.tables[0]).toMatchObject({ rows: 4, appended: 1, updated: 1, unchanged: 2 });
    expect(await readTable(path.join(app, "copy"), "dataset", "qa")).toEqual(await readTable(path.join(app, "data"), "dataset", "qa"));
  });

  it("a missing source project fails with exit 1", async () => {
    const { app } = await seededApp();
    const { code, json } = await themisJson(app, ["copy", "nope", "--to", "memory"]);
    expect(code).toBe(1);
    expect(json.error.code).toBe("ERR_THEMIS_NOT_FOUND");
  });
});

const TASKS = `
import { appendFileSync } from "node:fs";
export async function score(row) {
  if (row.question === "1") throw new Error("cannot score this one");
  return { correct: row.answer === "4", length: row.question.length };
}
export async function slow(row) {
  appendFileSync(process.env.THEMIS_TEST_MARKER, row._row_id + "\\n");
  await new Promise((resolve) => setTimeout(resolve, 50));
  return { n: row.n };
}
export default (row) => ({ echo: row.question ?? null });
`;

describe("themis run", () => {
  it("runs a module export over a dataset into an experiment, with a summary; failed rows exit 1", async () => {
    const { app, ids } = await seededApp({ "tasks.mjs": TASKS });
    const { code, json } = await themisJson(app, ["run", "./tasks.mjs#score", "--dataset", "qa", "--experiment", "e1", "--concurrency", "2"]);
    expect(code).toBe(1);
    expect(json).toMatchObject({ status: "completed", total: 3, succeeded: 2, failed: 1, skipped: 0, experiment: "e1", dataset: "qa", project: "demo" });
    const results = await readTable(path.join(app, "data"), "experiment", "e1");
    const byInput = Object.fromEntries(results.map((r) => [r.dataset_row_id as string, r]));
    expect(byInput[ids[0]!]).toMatchObject({ status: "ok", output: { correct: true, length: 4 } });
    expect(byInput[ids[2]!]).toMatchObject({ status: "error", error: { message: expect.stringMatching(/cannot score/) } });
    const listed = await themisJson(app, ["experiments", "ls"]);
    expect(listed.json).toEqual(["e1"]);
  });

  it("an existing experiment needs --resume, which skips rows already done", async () => {
    const { app } = await seededApp({ "tasks.mjs": TASKS });
    expect((await themisJson(app, ["run", "./tasks.mjs", "-d", "qa", "-e", "echo"])).json).toMatchObject({ status: "completed", succeeded: 3 });
    const again = await themisJson(app, ["run", "./tasks.mjs", "-d", "qa", "-e", "echo"]);
    expect(again.code).toBe(1);
    expect(again.json.error.code).toBe("ERR_THEMIS_ALREADY_EXISTS");
    const resumed = await themisJson(app, ["run", "./tasks.mjs#default", "-d", "qa", "-e", "echo", "--resume"]);
    expect(resumed).toMatchObject({ code: 0, json: { status: "completed", skipped: 3, succeeded: 0 } });
  });

  it("Ctrl-C cancels cleanly and leaves a run that --resume finishes", async () => {
    const rows = Array.from({ length: 40 }, (_, n) => ({ n }));
    const { app } = await seededApp({ "tasks.mjs": TASKS }, rows);
    const marker = path.join(app, "started.txt");
    const env = { ...process.env, THEMIS_TEST_MARKER: marker };
    const child = spawn(process.execPath, [BIN, "run", "./tasks.mjs#slow", "-d", "qa", "-e", "slow", "-j", "1", "--json"], { cwd: app, env });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    // Interrupt once a few rows have started.
    while (!existsSync(marker) || readFileSync(marker, "utf8").split("\n").length < 4) await sleep(20);
    child.kill("SIGINT");
    expect(await exited).toBe(1);
    const cancelled = JSON.parse(stdout);
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.succeeded).toBeGreaterThan(0);
    expect(cancelled.succeeded).toBeLessThan(40);
    const resumed = await themisJson(app, ["run", "./tasks.mjs#slow", "-d", "qa", "-e", "slow", "-j", "4", "--resume"], { THEMIS_TEST_MARKER: marker });
    expect(resumed.code).toBe(0);
    expect(resumed.json).toMatchObject({ status: "completed", total: 40, skipped: cancelled.succeeded, succeeded: 40 - cancelled.succeeded, failed: 0 });
    const results = await readTable(path.join(app, "data"), "experiment", "slow");
    expect(results.filter((r) => r.status === "ok")).toHaveLength(40);
  });

  it("the config's executor options are validated; a third-party executor can be named", async () => {
    const { app } = await seededApp({ "tasks.mjs": TASKS, "bad-exec.yaml": "type: local\nconcurrency: 0\n" });
    const bad = await themisJson(app, ["run", "./tasks.mjs", "-d", "qa", "-e", "x", "--execution", "bad-exec.yaml"]);
    expect(bad.code).toBe(1);
    expect(bad.json.error.issues[0].path).toBe("concurrency");
    const sequential = await themisJson(app, ["run", "./tasks.mjs", "-d", "qa", "-e", "seq", "--execution", "sequential"]);
    expect(sequential.json).toMatchObject({ status: "completed", succeeded: 3, execution: "sequential" });
    // The old spelling of the flag still works; both at once is a usage error.
    const old = await themisJson(app, ["run", "./tasks.mjs", "-d", "qa", "-e", "seq-old", "--executor", "sequential"]);
    expect(old.json).toMatchObject({ status: "completed", execution: "sequential" });
    const both = await themis(app, ["run", "./tasks.mjs", "-d", "qa", "-e", "seq-both", "--executor", "sequential", "--execution", "local"]);
    expect(both.code).toBe(2);
  });
});

describe("themis doctor", () => {
  it("checks the config, the storage and the executor, one line each", async () => {
    const { app } = await seededApp();
    const { code, stdout } = await themis(app, ["doctor"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^✓ config: .*themis\.config\.yaml$/m);
    expect(stdout).toMatch(/^✓ storage local\/csv: reachable, 1 project/m);
    expect(stdout).toMatch(/^✓ execution local: ran a trivial function job/m);
    const json = await themisJson(app, ["doctor"]);
    expect(json.json.ok).toBe(true);
    expect(json.json.checks.map((c: { check: string }) => c.check)).toEqual(["config", "storage", "execution"]);
  });

  it("fails without a config, and with an invalid one, naming the problem", async () => {
    const none = await themisJson(makeApp([]), ["doctor"]);
    expect(none.code).toBe(1);
    expect(none.json.checks[0]).toMatchObject({ check: "config", ok: false });
    const invalid = await themisJson(makeApp([], { "themis.config.yaml": "storage: local/cvs\n" }), ["doctor"]);
    expect(invalid.code).toBe(1);
    expect(invalid.json.checks[0].detail).toMatch(/storage: .*local\/csv/);
  });
});
