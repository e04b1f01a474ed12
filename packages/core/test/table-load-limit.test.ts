import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { Project, memoryBackend, type StorageBackend, type StoredRow, type TableStore } from "../src/index.js";

/** A table of endless rows whose load() must never be called: only a streamed, bounded load can end. */
function endlessStorage(): { storage: StorageBackend; streamed: () => number } {
  let streamed = 0;
  const table: TableStore = {
    load: () => Promise.reject(new Error("load() of an endless table")),
    entries: async function* (): AsyncGenerator<StoredRow> {
      for (let i = 0; ; i++) {
        streamed++;
        yield { _row_id: `r${i}`, i };
      }
    },
    get: async () => undefined,
    append: async () => undefined,
    update: async () => undefined,
    delete: async () => undefined,
  };
  const storage: StorageBackend = {
    name: "endless",
    openProject: async () => ({ createTable: async () => table, openTable: async () => table, listTables: async () => [], deleteTable: async () => undefined }),
    listProjects: async () => [],
    deleteProject: async () => undefined,
    close: async () => undefined,
  };
  return { storage, streamed: () => streamed };
}

describe("Table.load() with maxLoadRows", () => {
  it("fails with TOO_LARGE pointing to entries() after reading one row past the limit", async () => {
    const { storage, streamed } = endlessStorage();
    const project = await Project.create("p", storage);
    const table = await project.getDataset("huge", { maxLoadRows: 1000 });
    const error = await table.load().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ERR_THEMIS_TOO_LARGE", backend: "endless" });
    expect(String((error as Error).message)).toContain("entries()");
    expect(streamed()).toBe(1001);
  });

  it("returns every row of a table within the limit, in order", async () => {
    const project = await Project.create(`p_${randomBytes(4).toString("hex")}`, memoryBackend);
    const table = await project.createDataset("d", { maxLoadRows: 3 });
    const ids = await table.appendMany([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect((await table.load()).map((r) => r._row_id)).toEqual(ids);
    await table.append({ n: 4 });
    await expect(table.load()).rejects.toMatchObject({ code: "ERR_THEMIS_TOO_LARGE" });
    // The limit is the table handle's: another handle without one still loads everything.
    expect(await (await project.getDataset("d")).load()).toHaveLength(4);
  });

  it("rejects a limit that is not a number >= 0", async () => {
    const project = await Project.create(`p_${randomBytes(4).toString("hex")}`, memoryBackend);
    await project.createDataset("d");
    for (const bad of [-1, Number.NaN]) {
      await expect(project.getDataset("d", { maxLoadRows: bad })).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG" });
    }
  });
});
