// Hostile input (issue 17): hand-edited files, odd folders, refused writes.
import { readdirSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import { localCsvBackend } from "../src/index.js";
import { openProject, removeDir, tableFile, tempDir } from "./helpers.js";

const rootDir = tempDir();
afterAll(() => removeDir(rootDir));

/** A table created through the backend, then its file replaced by `text` (a hand edit). */
async function handWritten(project: string, text: string | Buffer): Promise<string> {
  const p = await Project.create(project, localCsvBackend, { rootDir });
  await p.createDataset("d");
  await p.close();
  const file = tableFile(rootDir, project, "dataset", "d");
  await writeFile(file, text);
  return file;
}

const openFds = (): number => readdirSync("/proc/self/fd").length;

describe("refused writes", () => {
  it.runIf(process.platform === "linux")("leak no file descriptor: 100 appends refused on a malformed file", async () => {
    await handWritten("fds", "_row_id,a\nr1,1\nr2,2,surplus\n");
    const p = await openProject(rootDir, "fds");
    const d = await p.getDataset("d");
    await expect(d.append({ a: 0 })).rejects.toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA" });
    const before = openFds();
    for (let i = 0; i < 100; i++) await expect(d.append({ a: i })).rejects.toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA" });
    expect(openFds() - before).toBeLessThan(5);
    await p.close();
  });
});

describe("odd folders", () => {
  it("a rootDir that is a regular file is a typed error naming it", async () => {
    const file = path.join(rootDir, "not-a-folder");
    await writeFile(file, "x");
    await expect(Project.create("p", localCsvBackend, { rootDir: file })).rejects.toMatchObject({
      code: "ERR_THEMIS_ALREADY_EXISTS",
      message: expect.stringContaining(`${file} exists and is not a folder`),
    });
  });
});

describe("a table saved with a UTF-8 byte order mark (Excel's 'CSV UTF-8')", () => {
  it("reads the same through load, entries, get, and takes update and delete, keeping the mark", async () => {
    const file = await handWritten("bom", "\uFEFF_row_id,a\nr1,1\nr2,two\nr3,3\n");
    const p = await openProject(rootDir, "bom");
    const d = await p.getDataset("d");
    const all = [
      { _row_id: "r1", a: 1 },
      { _row_id: "r2", a: "two" },
      { _row_id: "r3", a: 3 },
    ];
    expect(await d.load()).toEqual(all);
    const streamed = [];
    for await (const row of d.entries()) streamed.push(row);
    expect(streamed).toEqual(all);
    expect(await d.get("r2")).toEqual(all[1]);
    await d.update("r2", { a: 2 });
    await d.delete("r3");
    await d.append({ _row_id: "r4", a: 4 });
    expect(await d.load()).toEqual([
      { _row_id: "r1", a: 1 },
      { _row_id: "r2", a: 2 },
      { _row_id: "r4", a: 4 },
    ]);
    await p.close();
    expect(await readFile(file, "utf8")).toBe("\uFEFF_row_id,a\nr1,1\nr2,2\nr4,4\n");
  });
});

describe("a byte that is not UTF-8 in one row", () => {
  it("is never turned into U+FFFD by a rewrite for another row: the rewrite is refused, the file unchanged", async () => {
    const text = Buffer.concat([Buffer.from("_row_id,a\nr1,caf"), Buffer.from([0xe9]), Buffer.from("\nr2,2\n")]); // Latin-1 "café"
    const file = await handWritten("latin1", text);
    const p = await openProject(rootDir, "latin1");
    const d = await p.getDataset("d");
    for (const change of [() => d.update("r2", { a: 3 }), () => d.delete("r2"), () => d.append({ other: 1 })]) {
      await expect(change()).rejects.toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA", message: expect.stringContaining("not valid UTF-8") });
      expect(await readFile(file)).toEqual(text);
    }
    // An append of known columns writes only its own bytes: allowed.
    await d.append({ _row_id: "r3", a: 3 });
    expect((await readFile(file)).subarray(0, text.length)).toEqual(text);
    await p.close();
  });
});

describe("symbolic links out of rootDir", () => {
  it("a table file linking outside is refused (UNSUPPORTED), and the outside file is left alone", async () => {
    const outside = path.join(tempDir("themis-outside-"), "victim.csv");
    await writeFile(outside, "_row_id,a\nr1,1\n");
    const file = await handWritten("linkfile", "");
    const { rm, symlink } = await import("node:fs/promises");
    await rm(file);
    await symlink(outside, file);
    const p = await openProject(rootDir, "linkfile");
    await expect(p.getDataset("d")).rejects.toMatchObject({ code: "ERR_THEMIS_UNSUPPORTED", message: expect.stringContaining("outside rootDir") });
    await p.close();
    expect(await readFile(outside, "utf8")).toBe("_row_id,a\nr1,1\n");
    await removeDir(path.dirname(outside));
  });

  it("a project's datasets folder linking outside receives no new table", async () => {
    const outside = tempDir("themis-outside-");
    const p = await Project.create("linkdir", localCsvBackend, { rootDir });
    const { rm, symlink } = await import("node:fs/promises");
    const dir = path.join(rootDir, "linkdir", "datasets");
    await rm(dir, { recursive: true });
    await symlink(outside, dir);
    await expect(p.createDataset("d")).rejects.toMatchObject({ code: "ERR_THEMIS_UNSUPPORTED" });
    expect(readdirSync(outside)).toEqual([]);
    await p.close();
    await removeDir(outside);
  });

  it("a link that stays inside rootDir is refused too: one file, two names, two locks", async () => {
    const p = await Project.create("linkinside", localCsvBackend, { rootDir });
    await (await p.createDataset("real")).append({ a: 1 });
    const { symlink } = await import("node:fs/promises");
    await symlink(tableFile(rootDir, "linkinside", "dataset", "real"), tableFile(rootDir, "linkinside", "dataset", "alias"));
    await expect(p.getDataset("alias")).rejects.toMatchObject({ code: "ERR_THEMIS_UNSUPPORTED", message: expect.stringContaining("refuses links") });
    expect((await (await p.getDataset("real")).load()).map((r) => r.a)).toEqual([1]);
    await p.close();
  });
});

describe("a hand-typed stray quote", () => {
  it('in an unquoted cell (5" screen) reads as a character and appends go after the whole record', async () => {
    const file = await handWritten("stray", '_row_id,a\nr1,5" screen\nr2,x\n');
    const p = await openProject(rootDir, "stray");
    const d = await p.getDataset("d");
    await d.append({ _row_id: "r3", a: "y" });
    expect(await d.load()).toEqual([
      { _row_id: "r1", a: '5" screen' },
      { _row_id: "r2", a: "x" },
      { _row_id: "r3", a: "y" },
    ]);
    await p.close();
    expect(await readFile(file, "utf8")).toBe('_row_id,a\nr1,5" screen\nr2,x\nr3,y\n');
  });

  it("on a last line typed without a line ending: the next append ends that line, and cuts nothing", async () => {
    const file = await handWritten("noeol", '_row_id,a\nr1,1\nr2,5" screen');
    const p = await openProject(rootDir, "noeol");
    const d = await p.getDataset("d");
    await d.append({ _row_id: "r3", a: 3 });
    expect(await d.load()).toEqual([
      { _row_id: "r1", a: 1 },
      { _row_id: "r2", a: '5" screen' },
      { _row_id: "r3", a: 3 },
    ]);
    await p.close();
    expect(await readFile(file, "utf8")).toBe('_row_id,a\nr1,1\nr2,5" screen\nr3,3\n');
  });
});
