import { spawn } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { Project, Registry, parseBackendConfig } from "@themis/core";
import { pathFields } from "@themis/core/config";
import { PROJECT_MARKER, jsonlBackend } from "../src/index.js";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const scratch = realpathSync(mkdtempSync(path.join(tmpdir(), "themis-jsonl-")));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let rootDir: string;
let counter = 0;
beforeEach(() => {
  rootDir = path.join(scratch, `root-${++counter}`);
});

const tableFile = (project: string, table: string): string => path.join(rootDir, project, "datasets", `${table}.jsonl`);

/** A project with dataset "d" holding `rows`; returns the project and the row ids. */
async function seeded(rows: Record<string, number | string>[]): Promise<{ project: Project; ids: string[] }> {
  const project = await Project.create("p", jsonlBackend, { rootDir });
  const ids = await (await project.createDataset("d")).appendMany(rows);
  return { project, ids };
}

describe("jsonl files", () => {
  it("stores one JSON object per line, _row_id included, in <rootDir>/<project>/datasets/<name>.jsonl", async () => {
    const { project, ids } = await seeded([
      { q: "2+2?", a: 4 },
      { q: "1", a: "1" },
    ]);
    const lines = readFileSync(tableFile("p", "d"), "utf8").split("\n");
    expect(lines).toEqual([JSON.stringify({ _row_id: ids[0], q: "2+2?", a: 4 }), JSON.stringify({ _row_id: ids[1], q: "1", a: "1" }), ""]);
    await project.close();
  });

  it("skips a torn last record with a warning, and the next append removes it", async () => {
    const { project, ids } = await seeded([{ n: 1 }, { n: 2 }]);
    appendFileSync(tableFile("p", "d"), '{"_row_id":"torn","n":'); // An append cut short by a crash.
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }): void => void warnings.push(w.code ?? "");
    process.on("warning", onWarning);
    try {
      const d = await project.getDataset("d");
      expect((await d.load()).map((r) => r._row_id)).toEqual(ids);
      const added = await d.append({ n: 3 });
      expect((await d.load()).map((r) => r._row_id)).toEqual([...ids, added]);
      await new Promise((resolve) => setImmediate(resolve)); // Warnings are emitted on the next tick.
      expect(warnings).toContain("THEMIS_JSONL_TORN_RECORD");
      expect(readFileSync(tableFile("p", "d"), "utf8")).not.toContain("torn");
    } finally {
      process.off("warning", onWarning);
      await project.close();
    }
  });

  it("keeps a complete last record that lacks its newline (a hand edit), and appends after it", async () => {
    const { project, ids } = await seeded([{ n: 1 }]);
    appendFileSync(tableFile("p", "d"), JSON.stringify({ _row_id: "by-hand", n: 2 }));
    const d = await project.getDataset("d");
    const added = await d.append({ n: 3 });
    expect(await d.load()).toEqual([
      { _row_id: ids[0], n: 1 },
      { _row_id: "by-hand", n: 2 },
      { _row_id: added, n: 3 },
    ]);
    await project.close();
  });

  it("reports a malformed line in the middle as CORRUPT_DATA and changes nothing", async () => {
    const { project } = await seeded([{ n: 1 }]);
    const file = tableFile("p", "d");
    appendFileSync(file, "not json\n");
    appendFileSync(file, `${JSON.stringify({ _row_id: "after", n: 2 })}\n`);
    const before = readFileSync(file, "utf8");
    const d = await project.getDataset("d");
    await expect(d.load()).rejects.toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA", backend: "jsonl" });
    await expect(d.update("after", { n: 3 })).rejects.toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA" });
    expect(readFileSync(file, "utf8")).toBe(before);
    await project.close();
  });

  it("reports a line without a string _row_id as CORRUPT_DATA", async () => {
    const { project } = await seeded([]);
    writeFileSync(tableFile("p", "d"), '{"n":1}\n');
    await expect((await project.getDataset("d")).load()).rejects.toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA" });
    await project.close();
  });

  it("skips blank lines and reads CRLF line ends (hand edits)", async () => {
    const { project } = await seeded([]);
    writeFileSync(tableFile("p", "d"), '{"_row_id":"a","n":1}\r\n\n{"_row_id":"b","n":2}\r\n');
    expect(await (await project.getDataset("d")).load()).toEqual([
      { _row_id: "a", n: 1 },
      { _row_id: "b", n: 2 },
    ]);
    await project.close();
  });

  it("does not recreate a table deleted under an open handle (NOT_FOUND)", async () => {
    const { project } = await seeded([{ n: 1 }]);
    const d = await project.getDataset("d");
    await project.deleteDataset("d");
    await expect(d.append({ n: 2 })).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    await expect(d.load()).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    expect(await project.listDatasets()).toEqual([]);
    await project.close();
  });
});

describe("jsonl duplicate ids", () => {
  const idsOnDisk = (): string[] =>
    readFileSync(tableFile("p", "d"), "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => (JSON.parse(line) as { _row_id: string })._row_id);

  it("refuses a re-delivered batch whole (ALREADY_EXISTS): nothing stored twice, the first copy kept", async () => {
    const { project } = await seeded([]);
    const d = await project.getDataset("d");
    const batch = Array.from({ length: 3_000 }, (_, i) => ({ _row_id: `r${i}`, i }));
    await d.appendMany(batch);
    await expect(d.appendMany(batch)).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS", backend: "jsonl" });
    // A large batch whose only taken id is its last row stores nothing either.
    await expect(d.appendMany([...Array.from({ length: 3_000 }, (_, i) => ({ _row_id: `new${i}`, i })), { _row_id: "r2999", i: -1 }])).rejects.toMatchObject({
      code: "ERR_THEMIS_ALREADY_EXISTS",
    });
    expect(idsOnDisk()).toEqual(batch.map((r) => r._row_id));
    expect(await d.get("r2999")).toEqual({ _row_id: "r2999", i: 2999 });
    await project.close();
  });

  it("sees ids that reached the file behind its back: other processes, hand edits, a last line without newline", async () => {
    const { project } = await seeded([]);
    const d = await project.getDataset("d");
    await d.append({ _row_id: "a", n: 1 }); // Builds the index.
    appendFileSync(tableFile("p", "d"), `${JSON.stringify({ _row_id: "other-process", n: 2 })}\n`);
    appendFileSync(tableFile("p", "d"), JSON.stringify({ _row_id: "no-newline", n: 3 }));
    await expect(d.append({ _row_id: "other-process", n: 9 })).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
    await expect(d.append({ _row_id: "no-newline", n: 9 })).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
    await d.append({ _row_id: "b", n: 4 });
    await expect(d.append({ _row_id: "no-newline", n: 9 })).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
    // A file replaced wholesale (a new file renamed into place) is indexed afresh.
    const temp = path.join(rootDir, "p", "datasets", ".replacement.tmp");
    writeFileSync(temp, `${JSON.stringify({ _row_id: "replaced", n: 5 })}\n`);
    renameSync(temp, tableFile("p", "d"));
    await d.append({ _row_id: "a", n: 6 }); // "a" is gone with the old file.
    await expect(d.append({ _row_id: "replaced", n: 9 })).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
    expect(idsOnDisk()).toEqual(["replaced", "a"]);
    await project.close();
  });

  it("keeps the index right across update, delete, table re-creation and backend instances", async () => {
    const { project } = await seeded([]);
    const d = await project.getDataset("d");
    await d.appendMany([
      { _row_id: "x", n: 1 },
      { _row_id: "y", n: 2 },
    ]);
    await d.update("x", { n: 10 });
    await expect(d.append({ _row_id: "x", n: 3 })).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
    await d.delete("x");
    await d.append({ _row_id: "x", n: 4 }); // Deleted ids are free again.
    const other = await Project.open("p", jsonlBackend, { rootDir });
    await expect((await other.getDataset("d")).append({ _row_id: "y", n: 5 })).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
    await (await other.getDataset("d")).append({ _row_id: "z", n: 6 });
    await expect(d.append({ _row_id: "z", n: 7 })).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
    await other.close();
    await project.deleteDataset("d");
    const again = await project.createDataset("d");
    await again.append({ _row_id: "y", n: 8 });
    expect(await again.load()).toEqual([{ _row_id: "y", n: 8 }]);
    await project.close();
  });

  it("applies updates, deletes and appends queued together in order (one rewrite per group); a missing id fails alone (NOT_FOUND)", async () => {
    // The raw table store, so the calls reach the table's queue in one tick: all but the first go out as one group.
    const storage = await jsonlBackend.create(parseBackendConfig(jsonlBackend, { rootDir }));
    const table = await (await storage.openProject("p", "create")).createTable("dataset", "d");
    await table.append([
      { _row_id: "a", n: 1 },
      { _row_id: "b", n: 2 },
      { _row_id: "c", n: 3 },
    ]);
    const results = await Promise.allSettled([
      table.update({ _row_id: "a", n: 10 }),
      table.delete("b"),
      table.update({ _row_id: "b", n: 20 }), // b is deleted by the change before it
      table.append([{ _row_id: "b", n: 21 }]), // and so free again
      table.delete("missing"),
    ]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled", "rejected"]);
    expect(results[2]).toMatchObject({ reason: { code: "ERR_THEMIS_NOT_FOUND", backend: "jsonl" } });
    expect(results[4]).toMatchObject({ reason: { code: "ERR_THEMIS_NOT_FOUND" } });
    expect(idsOnDisk()).toEqual(["a", "c", "b"]);
    expect(await table.load()).toEqual([
      { _row_id: "a", n: 10 },
      { _row_id: "c", n: 3 },
      { _row_id: "b", n: 21 },
    ]);
    await expect(table.append([{ _row_id: "c", n: 4 }])).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
    await storage.close();
  });

  it("lets exactly one of two concurrent appends of one new id win in a process", async () => {
    const { project } = await seeded([]);
    const d = await project.getDataset("d");
    const results = await Promise.allSettled([d.append({ _row_id: "race", n: 1 }), d.append({ _row_id: "race", n: 2 })]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect(results.find((r) => r.status === "rejected")).toMatchObject({ reason: { code: "ERR_THEMIS_ALREADY_EXISTS" } });
    expect(idsOnDisk()).toEqual(["race"]);
    await project.close();
  });

  it("reads a file holding one id twice (two processes racing) as the first copy, with a warning; the next rewrite drops the rest", async () => {
    const { project } = await seeded([]);
    writeFileSync(tableFile("p", "d"), ['{"_row_id":"a","n":1}', '{"_row_id":"b","n":2}', '{"_row_id":"a","n":3}', ""].join("\n"));
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }): void => void warnings.push(w.code ?? "");
    process.on("warning", onWarning);
    try {
      const d = await project.getDataset("d");
      const firstWins = [
        { _row_id: "a", n: 1 },
        { _row_id: "b", n: 2 },
      ];
      expect(await d.load()).toEqual(firstWins);
      expect(await d.get("a")).toEqual({ _row_id: "a", n: 1 });
      await new Promise((resolve) => setImmediate(resolve)); // Warnings are emitted on the next tick.
      expect(warnings).toContain("THEMIS_JSONL_DUPLICATE_ROW_ID");
      await expect(d.append({ _row_id: "a", n: 4 })).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
      await d.update("b", { n: 5 });
      expect(idsOnDisk()).toEqual(["a", "b"]);
      expect(await d.load()).toEqual([firstWins[0], { _row_id: "b", n: 5 }]);
    } finally {
      process.off("warning", onWarning);
      await project.close();
    }
  });
});

describe("jsonl projects", () => {
  it("lists only folders that carry the project marker, and never deletes other folders", async () => {
    const storage = await jsonlBackend.create(parseBackendConfig(jsonlBackend, { rootDir, fsync: false }));
    await storage.openProject("real", "create");
    mkdirSync(path.join(rootDir, "stray", "datasets"), { recursive: true });
    expect(await storage.listProjects()).toEqual(["real"]);
    await expect(storage.deleteProject("stray")).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    expect(readFileSync(path.join(rootDir, "real", PROJECT_MARKER), "utf8")).toContain("themis-backend-jsonl");
    await storage.deleteProject("real");
    expect(await storage.listProjects()).toEqual([]);
    await storage.close();
  });

  it("refuses every call after close (CLOSED)", async () => {
    const storage = await jsonlBackend.create(parseBackendConfig(jsonlBackend, { rootDir, fsync: true }));
    const project = await storage.openProject("p", "create");
    const table = await project.createTable("dataset", "d");
    await storage.close();
    await expect(storage.listProjects()).rejects.toMatchObject({ code: "ERR_THEMIS_CLOSED" });
    await expect(project.listTables("dataset")).rejects.toMatchObject({ code: "ERR_THEMIS_CLOSED" });
    await expect(table.load()).rejects.toMatchObject({ code: "ERR_THEMIS_CLOSED" });
  });
});

describe("jsonl config", () => {
  it("fills in defaults", () => {
    expect(parseBackendConfig(jsonlBackend, {})).toEqual({ rootDir: "./themis-data", fsync: true });
  });
  it("marks rootDir as a path field (resolved against the config file's folder)", () => {
    expect(pathFields(jsonlBackend)).toEqual(["rootDir"]);
  });
  it("rejects wrong types and unknown keys with field paths (INVALID_CONFIG)", () => {
    let error: unknown;
    try {
      parseBackendConfig(jsonlBackend, { rootDir: 42, fsnyc: false });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG" });
    expect((error as { issues: { path: string }[] }).issues.map((i) => i.path).sort()).toEqual(["fsnyc", "rootDir"]);
  });
});

describe("discovery", () => {
  it("is found through its package.json themisBackends entry, with no registration", async () => {
    // A host application that depends on this package, laid out as npm would install it.
    const host = path.join(scratch, "host");
    mkdirSync(path.join(host, "node_modules"), { recursive: true });
    writeFileSync(path.join(host, "package.json"), JSON.stringify({ name: "host", version: "1.0.0", dependencies: { "themis-backend-jsonl": "*" } }));
    symlinkSync(packageDir, path.join(host, "node_modules", "themis-backend-jsonl"), "dir");
    const registry = new Registry({ cwd: host });
    const listed = await registry.list({ load: true });
    expect(listed.find((b) => b.name === "jsonl")).toMatchObject({ kind: "storage", source: "discovered", package: "themis-backend-jsonl", status: "ok" });
    const storage = await registry.create("storage", "jsonl", { rootDir });
    expect(storage.name).toBe("jsonl");
    await storage.close();
  });
});

describe("crash safety", () => {
  // kill -9 a writer at a random moment: every batch it saw acknowledged is on disk, in order.
  it("keeps every acknowledged row when the writer process is killed mid-stream", { timeout: 60_000 }, async () => {
    for (let round = 0; round < 5; round++) {
      const project = `crash${round}`;
      const child = spawn(process.execPath, [path.join(packageDir, "test", "fixtures", "writer.ts"), rootDir, project], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      const acknowledged: string[] = [];
      let buffered = "";
      const target = 3 + Math.floor(Math.random() * 20);
      await new Promise<void>((resolve, reject) => {
        child.on("error", reject);
        child.on("exit", () => resolve());
        child.stdout!.on("data", (chunk: Buffer) => {
          buffered += chunk.toString("utf8");
          const lines = buffered.split("\n");
          buffered = lines.pop()!;
          for (const line of lines) acknowledged.push(...line.split(" "));
          if (acknowledged.length >= target * 50) child.kill("SIGKILL");
        });
      });
      expect(acknowledged.length).toBeGreaterThanOrEqual(target * 50);
      const reopened = await Project.open(project, jsonlBackend, { rootDir });
      const stored = (await (await reopened.getDataset("d")).load()).map((r) => r._row_id);
      expect(stored.slice(0, acknowledged.length)).toEqual(acknowledged);
      expect(new Set(stored).size).toBe(stored.length);
      await reopened.close();
    }
  });
});
