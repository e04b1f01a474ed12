import { readFile, writeFile } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { Project, type Dataset } from "@themis/core";
import { localCsvBackend } from "../src/index.js";
import { openProject, removeDir, tableFile, tempDir } from "./helpers.js";

const rootDir = tempDir();
afterAll(() => removeDir(rootDir));

let counter = 0;
/** A table whose file was then edited by hand into `text`. */
async function handEdited(text: string): Promise<{ file: string; open: () => Promise<{ project: Project; table: Dataset }> }> {
  const name = `edited${counter++}`;
  const p = await Project.create(name, localCsvBackend, { rootDir });
  await (await p.createDataset("d")).appendMany([{ a: 1 }, { a: 2 }]);
  await p.close();
  const file = tableFile(rootDir, name, "dataset", "d");
  await writeFile(file, text);
  return {
    file,
    open: async () => {
      // A fresh backend each time: no state cached from before the edit.
      const project = await openProject(rootDir, name);
      return { project, table: await project.getDataset("d") };
    },
  };
}

const cases: { what: string; text: string; line: number; problem: string }[] = [
  { what: "an unclosed quote", text: '_row_id,a\nr1,1\nr2,"oops\nr3,3\nr4,4\n', line: 3, problem: "unclosed-quote" },
  { what: "a row with an extra cell", text: "_row_id,a\nr1,1\nr2,2\nr3,3,surplus\nr4,4\n", line: 4, problem: "too-many-cells" },
  { what: "a row with a missing cell", text: "_row_id,a,b\nr1,1,x\nr2\nr3,3,z\n", line: 3, problem: "too-few-cells" },
  { what: "a duplicated _row_id", text: "_row_id,a\nr1,1\nr2,2\nr1,3\n", line: 4, problem: "duplicate-row-id" },
  { what: "an empty _row_id", text: "_row_id,a\nr1,1\n,2\n", line: 3, problem: "missing-row-id" },
  { what: "a header without _row_id", text: "id,a\nr1,1\n", line: 1, problem: "bad-header" },
  { what: "text after a closing quote", text: '_row_id,a\nr1,"x"y\nr2,2\n', line: 2, problem: "malformed-quote" },
];

describe("a hand-edited, malformed CSV file", () => {
  it.each(cases)("with $what: load, entries and get fail naming the file and line; nothing is dropped", async ({ text, line, problem }) => {
    const { file, open } = await handEdited(text);
    const { project, table } = await open();
    try {
      const expected = { code: "ERR_THEMIS_CORRUPT_DATA", source: file, line, problem };
      const loadError = await table.load().then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(loadError).toMatchObject(expected);
      expect(loadError!.message).toContain(`[themis] [local/csv] ${file}, line ${line}:`);
      const streamed = (async () => {
        const ids: string[] = [];
        for await (const row of table.entries()) ids.push(row._row_id);
        return ids;
      })();
      if (problem === "duplicate-row-id") {
        // entries() keeps memory flat, so it does not remember ids: it yields every row, both copies included.
        expect(await streamed).toEqual(["r1", "r2", "r1"]);
      } else {
        await expect(streamed).rejects.toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA", line });
      }
      if (problem !== "duplicate-row-id") await expect(table.get("not-there")).rejects.toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA" });
      // Writers refuse too, and leave the file exactly as it was: nothing dropped or "repaired" away.
      await expect(table.append({ a: 9 })).rejects.toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA" });
      await expect(table.update("r1", { a: 9 })).rejects.toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA" });
      await expect(table.delete("r1")).rejects.toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA" });
      expect(await readFile(file, "utf8")).toBe(text);
    } finally {
      await project.close();
    }
  });

  it("loads again once fixed by hand, with every row", async () => {
    const { file, open } = await handEdited('_row_id,a\nr1,1\nr2,"oops\nr3,3\n');
    await writeFile(file, '_row_id,a\nr1,1\nr2,"oops"\nr3,3\n');
    const { project, table } = await open();
    expect(await table.load()).toEqual([
      { _row_id: "r1", a: 1 },
      { _row_id: "r2", a: "oops" },
      { _row_id: "r3", a: 3 },
    ]);
    await table.append({ _row_id: "r4", a: 4 });
    expect((await table.load()).map((r) => r._row_id)).toEqual(["r1", "r2", "r3", "r4"]);
    await project.close();
  });

  it("reads cells typed in a spreadsheet (plain words, numbers, CRLF line endings) and appends in the file's own line ending", async () => {
    const { file, open } = await handEdited("_row_id,question,score,notes\r\nq1,What is 2+2?,4,hello world\r\nq2,Capital of France?,,\r\n");
    const { project, table } = await open();
    expect(await table.load()).toEqual([
      { _row_id: "q1", question: "What is 2+2?", score: 4, notes: "hello world" },
      { _row_id: "q2", question: "Capital of France?" },
    ]);
    await table.append({ _row_id: "q3", question: "1", score: 1.5 });
    expect(await readFile(file, "utf8")).toBe("_row_id,question,score,notes\r\nq1,What is 2+2?,4,hello world\r\nq2,Capital of France?,,\r\nq3,'1,1.5,\r\n");
    await project.close();
  });
});
