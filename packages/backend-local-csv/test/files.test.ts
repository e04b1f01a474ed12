import { readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Project, parseBackendConfig } from "@themis/core";
import { DEFAULT_ROOT_DIR, type LocalCsvStorage, localCsvBackend } from "../src/index.js";
import { createBackend, readCsvRaw, removeDir, tableFile, tempDir } from "./helpers.js";

const rootDir = tempDir();
afterAll(() => removeDir(rootDir));

describe("files on disk", () => {
  it("uses the Ragas layout: <rootDir>/<project>/{datasets,experiments}/<name>.csv with _row_id first", async () => {
    const p = await Project.create("layout", localCsvBackend, { rootDir });
    const d = await p.createDataset("qa");
    const e = await p.createExperiment("run 1");
    const [id] = await d.appendMany([{ question: "2+2?", answer: "4", score: 1, ok: true, tags: ["math"], note: null }]);
    await e.append({ output: "=cmd|' /C calc'!A0" });
    await p.close();
    expect((await readdir(path.join(rootDir, "layout"))).sort()).toEqual(["datasets", "experiments"]);
    expect(await readFile(path.join(rootDir, "layout", "datasets", "qa.csv"), "utf8")).toBe(
      `_row_id,question,answer,score,ok,tags,note\n${id},2+2?,'4,1,true,"[""math""]",null\n`,
    );
    // A formula-looking string is stored with the apostrophe spreadsheets use for text.
    const raw = readCsvRaw(tableFile(rootDir, "layout", "experiment", "run 1"))!;
    expect(raw[0]!.output).toBe("'=cmd|' /C calc'!A0");
  });

  it("appends without rewriting: earlier bytes stay as they are", async () => {
    const p = await Project.create("append", localCsvBackend, { rootDir });
    const d = await p.createDataset("d");
    await d.appendMany([{ a: 1 }, { a: 2 }]);
    const file = tableFile(rootDir, "append", "dataset", "d");
    const before = await readFile(file, "utf8");
    await d.append({ a: 3 });
    const after = await readFile(file, "utf8");
    expect(after.startsWith(before)).toBe(true);
    expect(after.slice(before.length)).toMatch(/^[^\n]+,3\n$/);
    await p.close();
  });

  it("rewrites the file when a batch brings a new column, keeping every row", async () => {
    const p = await Project.create("columns", localCsvBackend, { rootDir });
    const d = await p.createDataset("d");
    const [a] = await d.appendMany([{ x: 1 }]);
    const [b] = await d.appendMany([{ y: "two" }]);
    const file = tableFile(rootDir, "columns", "dataset", "d");
    expect(await readFile(file, "utf8")).toBe(`_row_id,x,y\n${a},1,\n${b},,two\n`);
    await p.close();
  });

  it("update and delete rewrite atomically and leave no temp or lock files behind", async () => {
    const p = await Project.create("rewrite", localCsvBackend, { rootDir });
    const d = await p.createDataset("d");
    const ids = await d.appendMany([{ v: 1 }, { v: 2 }, { v: 3 }]);
    await d.update(ids[1]!, { v: "2", extra: { deep: true } });
    await d.delete(ids[0]!);
    expect(await d.load()).toEqual([
      { _row_id: ids[1], v: "2", extra: { deep: true } },
      { _row_id: ids[2], v: 3 },
    ]);
    // While the project is open its lock is held as a lease; closing gives it back.
    await p.close();
    expect(await readdir(path.join(rootDir, "rewrite", "datasets"))).toEqual(["d.csv"]);
  });

  it("update and delete under unchanged columns copy the other rows' bytes, and the writer still knows every id", async () => {
    const p = await Project.create("bytecopy", localCsvBackend, { rootDir });
    const d = await p.createDataset("d");
    const ids = await d.appendMany([
      { v: 1, s: 'a,"b"\nc' },
      { v: 2, s: "x" },
      { v: 3, s: "y" },
    ]);
    const file = tableFile(rootDir, "bytecopy", "dataset", "d");
    const before = await readFile(file, "utf8");
    // The same row again and again: each rewrite must keep its id known to the writer.
    for (let i = 0; i < 3; i++) await d.update(ids[1]!, { v: 20 + i, s: "x" });
    await d.delete(ids[2]!);
    await expect(d.append({ _row_id: ids[1]!, v: 0 })).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
    await expect(d.update(ids[2]!, { v: 0 })).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    expect(await d.load()).toEqual([
      { _row_id: ids[0], v: 1, s: 'a,"b"\nc' },
      { _row_id: ids[1], v: 22, s: "x" },
    ]);
    // The untouched row (quoted cell with a comma, quotes and a line break) kept its bytes.
    expect(await readFile(file, "utf8")).toBe(`${before.split(ids[1]!)[0]}${ids[1]},22,x\n`);
    await p.close();
  });

  it("refuses to append a _row_id the table already has (ALREADY_EXISTS), storing nothing of the batch", async () => {
    const p = await Project.create("dupes", localCsvBackend, { rootDir });
    const d = await p.createDataset("d");
    await d.append({ _row_id: "x", v: 1 });
    await expect(
      d.appendMany([
        { _row_id: "y", v: 2 },
        { _row_id: "x", v: 3 },
      ]),
    ).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
    expect(await d.load()).toEqual([{ _row_id: "x", v: 1 }]);
    await p.close();
  });

  it("lists only tables, not lock, temp or torn files, and ignores hidden folders as projects", async () => {
    const p = await Project.create("listing", localCsvBackend, { rootDir });
    await p.createDataset("a.b");
    const dir = path.join(rootDir, "listing", "datasets");
    await writeFile(path.join(dir, ".a.b.csv.123.tmp"), "");
    await writeFile(path.join(dir, "a.b.csv.torn"), "");
    await writeFile(path.join(dir, "notes.txt"), "");
    expect(await p.listDatasets()).toEqual(["a.b"]);
    expect(await p.listExperiments()).toEqual([]);
    await p.close();
  });
});

describe("many writes at once in one process", () => {
  it("merges concurrent appends into few writes, keeping call order, failing only the bad batch", async () => {
    const p = await Project.create("group", localCsvBackend, { rootDir });
    const d = await p.createDataset("d");
    await d.append({ _row_id: "taken", n: -1 });
    const calls = Array.from({ length: 300 }, (_, n) =>
      n === 150
        ? d.appendMany([
            { _row_id: "fresh", n },
            { _row_id: "taken", n },
          ])
        : d.append({ _row_id: `r${n}`, n }),
    );
    const results = await Promise.allSettled(calls);
    expect(results.filter((r) => r.status === "rejected")).toEqual([
      { status: "rejected", reason: expect.objectContaining({ code: "ERR_THEMIS_ALREADY_EXISTS" }) },
    ]);
    expect(results.findIndex((r) => r.status === "rejected")).toBe(150);
    const rows = await d.load();
    expect(rows.map((r) => r.n)).toEqual([-1, ...Array.from({ length: 300 }, (_, n) => n).filter((n) => n !== 150)]);
    await p.close();
  });

  it("runs a table's writes and reads in call order, even when the caller does not wait", async () => {
    // At the storage contract's level (core's Table awaits validation before calling it).
    const storage = createBackend(rootDir);
    const project = await storage.openProject("order", "create");
    const table = await project.createTable("dataset", "d");
    const writes = [
      table.append([{ _row_id: "a", v: 1 }]),
      table.update({ _row_id: "a", v: 2 }),
      table.append([{ _row_id: "b", v: 3, extra: true }]),
      table.delete("a"),
    ];
    const loaded = table.load();
    const got = table.get("b");
    await Promise.all(writes);
    expect(await loaded).toEqual([{ _row_id: "b", v: 3, extra: true }]);
    expect(await got).toEqual({ _row_id: "b", v: 3, extra: true });
    await storage.close();
  });
});

describe("two backends on one folder", () => {
  it("a writer notices the table was deleted and recreated behind its back (even on a reused inode)", async () => {
    const a = await Project.create("recreate", localCsvBackend, { rootDir });
    const b = await Project.open("recreate", localCsvBackend, { rootDir });
    const da = await a.createDataset("d");
    await da.appendMany([{ v: "a1" }, { v: "a2" }]);
    await b.deleteDataset("d");
    const db = await b.createDataset("d");
    await db.appendMany([{ v: "b1", pad: "x".repeat(200) }, { v: "b2" }]);
    const [id] = await da.appendMany([{ v: "a3" }]);
    expect((await db.load()).map((r) => r.v)).toEqual(["b1", "b2", "a3"]);
    expect((await da.get(id!)).v).toBe("a3");
    await a.close();
    await b.close();
  });

  it("each sees the other's appends, updates and deletes", async () => {
    const a = await Project.create("shared", localCsvBackend, { rootDir });
    const b = await Project.open("shared", localCsvBackend, { rootDir });
    const da = await a.createDataset("d");
    const ids = await da.appendMany([{ v: 1 }, { v: 2 }]);
    const db = await b.getDataset("d");
    await db.update(ids[0]!, { v: 10 });
    await da.append({ v: 3 });
    await db.delete(ids[1]!);
    await da.append({ v: 4, extra: true });
    expect((await db.load()).map((r) => r.v)).toEqual([10, 3, 4]);
    await a.close();
    await b.close();
  });
});

describe("config", () => {
  it("defaults rootDir to ./themis-data in the working directory", () => {
    const config = parseBackendConfig(localCsvBackend, {});
    expect(config).toEqual({ rootDir: DEFAULT_ROOT_DIR, fsyncAppends: false, lockStaleMs: 10_000, lockTimeoutMs: 60_000 });
    expect((localCsvBackend.create(config) as LocalCsvStorage).rootDir).toBe(path.resolve(process.cwd(), "themis-data"));
  });

  it("rejects unknown options and bad values with field paths (INVALID_CONFIG)", () => {
    expect(() => parseBackendConfig(localCsvBackend, { rootdir: "x" })).toThrow(expect.objectContaining({ code: "ERR_THEMIS_INVALID_CONFIG" }));
    try {
      parseBackendConfig(localCsvBackend, { rootdir: "x", lockStaleMs: 5 });
    } catch (error) {
      expect((error as { issues: { path: string }[] }).issues.map((i) => i.path).sort()).toEqual(["lockStaleMs", "rootdir"]);
    }
  });

  it("fsyncAppends still appends correctly", async () => {
    const p = await Project.create("fsync", localCsvBackend, { rootDir, fsyncAppends: true });
    const d = await p.createDataset("d");
    await d.appendMany([{ a: 1 }, { a: 2 }]);
    expect((await d.load()).map((r) => r.a)).toEqual([1, 2]);
    await p.close();
  });
});
