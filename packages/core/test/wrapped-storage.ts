import { randomUUID } from "node:crypto";
import { type ProjectStore, type StorageBackend, type TableStore, memoryBackend } from "../dist/index.js";

/**
 * A memory backend whose tables go through `wrapTable` (by table name): the way tests
 * make a store fail or hang on purpose, through the storage contract only. Fresh, unless
 * given the `namespace` of another memory backend, whose data it then shares.
 */
export function wrappedStorage(
  name: string,
  wrapTable: (table: string, store: TableStore) => TableStore,
  namespace = `${name}-${randomUUID()}`,
): StorageBackend {
  const inner = memoryBackend.create({ namespace }) as StorageBackend;
  return {
    name,
    async openProject(project, mode) {
      const store = await inner.openProject(project, mode);
      const wrapped: ProjectStore = {
        createTable: async (kind, table) => wrapTable(table, await store.createTable(kind, table)),
        openTable: async (kind, table) => wrapTable(table, await store.openTable(kind, table)),
        listTables: (kind) => store.listTables(kind),
        deleteTable: (kind, table) => store.deleteTable(kind, table),
      };
      return wrapped;
    },
    listProjects: () => inner.listProjects(),
    deleteProject: (p) => inner.deleteProject(p),
    close: () => inner.close(),
  };
}
