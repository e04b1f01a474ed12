import { appendFile } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import { localCsvBackend } from "../src/index.js";
import { openProject, removeDir, tableFile, tempDir } from "./helpers.js";

const rootDir = tempDir();
afterAll(() => removeDir(rootDir));

// The writer's id index holds fingerprints; a hit is confirmed on the file. These go through
// the confirm pass with ids that really are there.
describe("the writer's id index", () => {
  it("refuses a batch whose id is already in the file, after catching up with rows appended by another writer", async () => {
    const p = await Project.create("idx1", localCsvBackend, { rootDir });
    const t = await p.createDataset("d");
    await t.appendMany([{ _row_id: "a" }, { _row_id: "b" }]);
    await appendFile(tableFile(rootDir, "idx1", "dataset", "d"), "c\n");
    await expect(t.appendMany([{ _row_id: "z" }, { _row_id: "c" }])).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
    await expect(t.append({ _row_id: "a" })).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
    await t.append({ _row_id: "d" });
    expect((await t.load()).map((r) => r._row_id)).toEqual(["a", "b", "c", "d"]);
    await p.close();
  });

  it("reports an id a hand edit wrote twice (CORRUPT_DATA naming it), in a live writer and in a fresh one", async () => {
    const p = await Project.create("idx2", localCsvBackend, { rootDir });
    const t = await p.createDataset("d");
    await t.appendMany([{ _row_id: "a" }, { _row_id: "b" }]);
    await appendFile(tableFile(rootDir, "idx2", "dataset", "d"), "a\n");
    await expect(t.append({ _row_id: "c" })).rejects.toMatchObject({
      code: "ERR_THEMIS_CORRUPT_DATA",
      message: expect.stringContaining('"a" appears on two lines'),
    });
    await p.close();
    const again = await openProject(rootDir, "idx2");
    await expect((await again.getDataset("d")).append({ _row_id: "c" })).rejects.toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA" });
    await again.close();
  });

  it("update and delete find rows the index knows, and refuse ids it does not", async () => {
    const p = await Project.create("idx3", localCsvBackend, { rootDir });
    const t = await p.createDataset("d");
    await t.appendMany(Array.from({ length: 3000 }, (_, i) => ({ _row_id: `r${i}`, n: i })));
    await t.update("r1500", { n: -1 });
    await t.delete("r2999");
    await expect(t.delete("r2999")).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    await expect(t.update("nope", { n: 0 })).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    const rows = await t.load();
    expect(rows).toHaveLength(2999);
    expect(rows[1500]).toEqual({ _row_id: "r1500", n: -1 });
    await t.append({ _row_id: "r2999", n: 1 });
    await expect(t.append({ _row_id: "r0" })).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
    await p.close();
  });
});
