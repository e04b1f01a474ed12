// A store that takes rows as JSON text (TableStore.appendSerialized): core serialises each
// row once, and what the store receives is exactly what `append` would have stored.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Project, type SerializedRow, type StorageBackend, type StoredRow, type TableStore, memoryBackend } from "../src/index.js";
import { wrappedStorage } from "./wrapped-storage.js";

/** A memory backend whose tables take serialised rows only (`append` of objects throws). */
function serializedStorage(options: { close?: boolean; load?: boolean } = {}): { storage: StorageBackend; received: SerializedRow[] } {
  const received: SerializedRow[] = [];
  const wrapped = wrappedStorage("serialized", (_table, store): TableStore => {
    const table = {
      entries: () => store.entries(),
      ...(options.load !== false && { load: () => store.load(), get: (id: string) => store.get(id) }),
      append: async () => {
        throw new Error("append of objects called: core should have used appendSerialized");
      },
      appendSerialized: async (rows: readonly SerializedRow[]) => {
        received.push(...rows);
        await store.append(rows.map((r) => JSON.parse(r.json) as StoredRow));
      },
      update: (row: StoredRow) => store.update(row),
      delete: (id: string) => store.delete(id),
    };
    return table as TableStore;
  });
  const storage = options.close === false ? { ...wrapped, close: undefined } : wrapped;
  return { storage: storage as StorageBackend, received };
}

const cyclic: Record<string, unknown> = { a: 1 };
cyclic.self = cyclic;

/** Rows as users write them: exact JSON, an own id (first or not), values the copy drops or refuses. */
const accepted = [
  { q: "2+2?", nested: { list: [1, { deep: null }] }, neg: -0 },
  { _row_id: "own-1", q: "own id first" },
  { q: "own id last", _row_id: "own-2" },
  { q: "an undefined value is dropped", gone: undefined, list: [1, undefined] },
  JSON.parse('{"__proto__": {"x": 1}, "q": "a __proto__ key"}') as Record<string, unknown>,
  Object.assign(Object.create(null) as object, { q: "a null prototype" }),
  {},
];
const refused = [{ when: new Date(0) }, { n: Number.NaN }, { _row_id: "bad id" }, { s: "\ud800" }, cyclic, [1]];

describe("Table on a store with appendSerialized", () => {
  it("hands each row as the JSON text of the row appendMany stores (id first), never as objects", async () => {
    const { storage, received } = serializedStorage();
    const project = await Project.create("serialized", storage);
    const table = await project.createDataset("t");
    const plain = await (await Project.create(`plain-${Date.now()}`, memoryBackend)).createDataset("t");

    const ids = await table.appendMany(accepted as never[]);
    expect(received.map((r) => r.id)).toEqual(ids);
    // The same rows with the same ids through the object path (the memory backend).
    await plain.appendMany(accepted.map((row, i) => ({ ...row, _row_id: ids[i] })) as never[]);
    const stored = await plain.load();
    for (const [i, row] of received.entries()) {
      expect(row.json).toBe(JSON.stringify(stored[i]));
      expect(Object.keys(JSON.parse(row.json) as object)[0]).toBe("_row_id");
    }
    expect(ids.slice(1, 3)).toEqual(["own-1", "own-2"]);
    expect(await table.load()).toEqual(stored);
    await project.close();
  });

  it("refuses bad rows and repeated ids with appendMany's own errors, storing nothing of the batch", async () => {
    const { storage, received } = serializedStorage();
    const project = await Project.create("serialized-bad", storage);
    const table = await project.createDataset("t");
    const plain = await (await Project.create(`plain-bad-${Date.now()}`, memoryBackend)).createDataset("t");
    for (const bad of refused) {
      const serialized = await table.appendMany([{ ok: 1 }, bad as never]).catch((error: unknown) => error);
      const objects = await plain.appendMany([{ ok: 1 }, bad as never]).catch((error: unknown) => error);
      expect(serialized).toMatchObject({ code: "ERR_THEMIS_INVALID_ROW" });
      expect((serialized as Error).message).toBe((objects as Error).message);
      expect((serialized as { issues: unknown }).issues).toEqual((objects as { issues: unknown }).issues);
    }
    await expect(table.appendMany([{ _row_id: "a" }, { v: 2 }, { _row_id: "a" }])).rejects.toThrow('_row_id "a" appears twice in one batch');
    expect(received).toEqual([]);
    await project.close();
  });

  it("with a schema: the schema's output is what is serialised, and a row it refuses stores nothing", async () => {
    const { storage, received } = serializedStorage();
    const project = await Project.create("serialized-schema", storage);
    const table = await project.createDataset("t", { schema: z.object({ q: z.string().trim(), n: z.coerce.number() }) });
    const [id] = await table.appendMany([{ q: "  2+2?  ", n: "4" } as never]);
    expect(received.map((r) => JSON.parse(r.json) as unknown)).toEqual([{ _row_id: id, q: "2+2?", n: 4 }]);
    await expect(table.appendMany([{ q: "ok", n: 1 }, { q: 3, n: 1 } as never])).rejects.toMatchObject({
      code: "ERR_THEMIS_INVALID_ROW",
      issues: [expect.objectContaining({ path: "q" })],
    });
    expect(received).toHaveLength(1);
    await project.close();
  });

  it("a row changed after the append changes nothing stored", async () => {
    const { storage } = serializedStorage();
    const project = await Project.create("serialized-mutate", storage);
    const table = await project.createDataset("t");
    const row = { q: "before", nested: { v: 1 } };
    const [id] = await table.appendMany([row]);
    row.q = "after";
    row.nested.v = 2;
    expect(await table.get(id as string)).toEqual({ _row_id: id, q: "before", nested: { v: 1 } });
    await project.close();
  });

  it("takes core's own rows too (results of a run), and works on a backend without close or load", async () => {
    for (const options of [{}, { close: false, load: false }]) {
      const { storage, received } = serializedStorage(options);
      const project = await Project.create("serialized-run", storage);
      const dataset = await project.createDataset("qa");
      await dataset.appendMany([{ n: 1 }, { n: 2 }]);
      const summary = await project.runExperiment({ dataset: "qa", experiment: "e", task: async (row: { n: number }) => ({ answer: row.n * 2 }) });
      expect(summary.succeeded).toBe(2);
      const results = await (await project.getExperiment("e")).load();
      expect(results.map((r) => (r.output as { answer: number }).answer).sort()).toEqual([2, 4]);
      // Both results reached the store as text (beside the dataset rows, claims and the run record).
      const texts = received.map((r) => r.json);
      for (const result of results) expect(texts).toContain(JSON.stringify(result));
      await project.close();
      await expect(dataset.append({ n: 3 })).rejects.toMatchObject({ code: "ERR_THEMIS_CLOSED" });
    }
  });
});
