import { appendFile, readFile, writeFile } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { Project, type Dataset } from "@themis/core";
import { localCsvBackend } from "../src/index.js";
import { openProject, removeDir, tableFile, tempDir } from "./helpers.js";

const rootDir = tempDir();
afterAll(() => removeDir(rootDir));

let counter = 0;
/** A project with table "m" whose file holds `text` (as if saved by another program). */
async function tableWith(text: string): Promise<{ file: string; name: string }> {
  const name = `eol${counter++}`;
  const p = await Project.create(name, localCsvBackend, { rootDir });
  await (await p.createDataset("m")).append({ _row_id: "r0" });
  await p.close();
  const file = tableFile(rootDir, name, "dataset", "m");
  await writeFile(file, text);
  return { file, name };
}

/** load() and entries() both read `expected`. */
async function expectReads(table: Dataset, expected: object[]): Promise<void> {
  expect(await table.load()).toEqual(expected);
  const streamed = [];
  for await (const row of table.entries()) streamed.push(row);
  expect(streamed).toEqual(expected);
}

describe("a table whose lines end in both ways (a line added by hand)", () => {
  it("CRLF table + `echo r2,b >> m.csv`: the next append is stored in CRLF and every read works", async () => {
    const { file, name } = await tableWith("_row_id,a\r\nr1,x\r\n");
    // The project is open (and has written) before the hand edit: its cached view of the file catches up.
    const project = await openProject(rootDir, name);
    const table = await project.getDataset("m");
    await table.append({ _row_id: "r1b", a: "y" });
    await appendFile(file, "r2,b\n");
    await table.append({ _row_id: "r3", a: "c" });
    const expected = [
      { _row_id: "r1", a: "x" },
      { _row_id: "r1b", a: "y" },
      { _row_id: "r2", a: "b" },
      { _row_id: "r3", a: "c" },
    ];
    await expectReads(table, expected);
    expect(await table.get("r2")).toEqual({ _row_id: "r2", a: "b" });
    expect(await readFile(file, "utf8")).toBe("_row_id,a\r\nr1,x\r\nr1b,y\r\nr2,b\nr3,c\r\n");
    await project.close();

    // A fresh process reads it too, and update/delete work (the rewrite uses the first line's ending).
    const again = await openProject(rootDir, name);
    const t = await again.getDataset("m");
    expect(await t.load()).toEqual(expected);
    await t.update("r2", { a: "B" });
    await t.delete("r1b");
    expect(await readFile(file, "utf8")).toBe("_row_id,a\r\nr1,x\r\nr2,B\r\nr3,c\r\n");
    await again.close();
  });

  it("LF table + a CRLF line: values keep no stray \\r, appends stay LF", async () => {
    const { file, name } = await tableWith("_row_id,a,b\nr1,x,1\nr2,y,two\r\n");
    const project = await openProject(rootDir, name);
    const table = await project.getDataset("m");
    await table.append({ _row_id: "r3", a: "z", b: 3 });
    expect(await table.load()).toEqual([
      { _row_id: "r1", a: "x", b: 1 },
      { _row_id: "r2", a: "y", b: "two" },
      { _row_id: "r3", a: "z", b: 3 },
    ]);
    expect(await readFile(file, "utf8")).toBe("_row_id,a,b\nr1,x,1\nr2,y,two\r\nr3,z,3\n");
    await project.close();
  });

  it("quoted values holding \\r\\n or \\n survive mixed line endings, through reads, appends and rewrites", async () => {
    const { file, name } = await tableWith('_row_id,a\r\nr1,"one\r\ntwo"\r\nr2,"three\nfour"\n');
    const project = await openProject(rootDir, name);
    const table = await project.getDataset("m");
    await table.append({ _row_id: "r3", a: "five\r\nsix" });
    const expected = [
      { _row_id: "r1", a: "one\r\ntwo" },
      { _row_id: "r2", a: "three\nfour" },
      { _row_id: "r3", a: "five\r\nsix" },
    ];
    await expectReads(table, expected);
    await table.delete("r3");
    expect(await table.load()).toEqual(expected.slice(0, 2));
    expect(await readFile(file, "utf8")).toBe('_row_id,a\r\nr1,"one\r\ntwo"\r\nr2,"three\nfour"\r\n');
    await project.close();
  });
});
