// The smaller contract's fallback path: a backend that implements only the 11 required
// methods (no `close`, no `load`, no `get`) passes the whole suite on core's fallbacks.
// memory.test.ts runs the native path (the reference backend implements all 14).
import { randomUUID } from "node:crypto";
import { defineStorageBackend, memoryBackend, parseBackendConfig } from "@themis/core";
import type { ProjectStoreImpl, StorageBackend, StorageBackendImpl, TableStoreImpl } from "@themis/core/backend";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { storageSuite, tableStoreSuite } from "../src/index.js";

/** Only the required methods of the memory backend's table. */
function minimalTable(table: TableStoreImpl): TableStoreImpl {
  return { entries: () => table.entries(), append: (rows) => table.append(rows), update: (row) => table.update(row), delete: (id) => table.delete(id) };
}

function minimalProject(project: ProjectStoreImpl): ProjectStoreImpl {
  return {
    createTable: async (kind, name) => minimalTable(await project.createTable(kind, name)),
    openTable: async (kind, name) => minimalTable(await project.openTable(kind, name)),
    listTables: (kind) => project.listTables(kind),
    deleteTable: (kind, name) => project.deleteTable(kind, name),
  };
}

/** The memory backend seen through the 11 required methods; it never closes (its data is in-process). */
function minimalStorage(inner: StorageBackend): StorageBackendImpl {
  return {
    name: "minimal",
    openProject: async (name, mode) => minimalProject(await inner.openProject(name, mode)),
    listProjects: () => inner.listProjects(),
    deleteProject: (name) => inner.deleteProject(name),
  };
}

const minimalBackend = defineStorageBackend({
  name: "minimal",
  configSchema: z.strictObject({ namespace: z.string().default("minimal") }),
  capabilities: { persistent: true },
  create: async (config) => minimalStorage(await memoryBackend.create(parseBackendConfig(memoryBackend, { namespace: config.namespace }))),
});

storageSuite({ name: "minimal (core fallbacks)", definition: minimalBackend, config: { namespace: `fallbacks-${randomUUID()}` } });

const raw = await memoryBackend.create(parseBackendConfig(memoryBackend, { namespace: `fallbacks-raw-${randomUUID()}` }));
let tables = 0;
tableStoreSuite({
  name: "minimal (core fallbacks)",
  createTable: async () => minimalTable(await (await raw.openProject(`p${++tables}`, "create")).createTable("dataset", "raw")),
});

describe("the fallbacks are really in use", () => {
  it("a definition completes what create returns: close, load and get exist and behave", async () => {
    const backend = await minimalBackend.create(parseBackendConfig(minimalBackend, { namespace: `fallbacks-probe-${randomUUID()}` }));
    const table = await (await backend.openProject("p", "create")).createTable("dataset", "t");
    expect(Object.keys(await Promise.resolve(minimalTable(table)))).not.toContain("load");
    await table.append([
      { _row_id: "a", n: 1 },
      { _row_id: "b", n: 2 },
    ]);
    expect(await table.load()).toEqual([
      { _row_id: "a", n: 1 },
      { _row_id: "b", n: 2 },
    ]);
    expect(await table.get("b")).toEqual({ _row_id: "b", n: 2 });
    expect(await table.get("nope")).toBeUndefined();
    await backend.close();
    await backend.close();
    await expect(table.load()).rejects.toMatchObject({ code: "ERR_THEMIS_CLOSED" });
    await expect(backend.listProjects()).rejects.toMatchObject({ code: "ERR_THEMIS_CLOSED" });
  });
});
