import type { ProjectStore, StorageBackend, TableStore } from "@themis/core";

/**
 * Deliberately broken variants of a working storage backend (the memory backend), each
 * with one hole the conformance suite must catch. Built by wrapping, so the reference
 * backend itself stays as it is.
 */

const isNotFound = (error: unknown): boolean => (error as { code?: string }).code === "ERR_THEMIS_NOT_FOUND";

/** Overrides some methods of `target`, forwarding the rest (bound to the target). */
function override<T extends object>(target: T, methods: Partial<T>): T {
  return new Proxy(target, {
    get(obj, prop) {
      if (Object.hasOwn(methods, prop)) return (methods as Record<PropertyKey, unknown>)[prop];
      const value = Reflect.get(obj, prop, obj) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(obj) : value;
    },
  });
}

/** listProjects in an order other than sorted. */
export function unsortedListProjects(backend: StorageBackend): StorageBackend {
  return override(backend, { listProjects: async () => (await backend.listProjects()).reverse() });
}

/** close does nothing: the backend keeps working afterwards. */
export function closeDoesNothing(backend: StorageBackend): StorageBackend {
  return override(backend, { close: async () => undefined });
}

/** Names folded to lower case: "Data" and "data" become one table, and the case is lost. */
export function foldsNameCase(backend: StorageBackend): StorageBackend {
  const project = (store: ProjectStore): ProjectStore =>
    override(store, {
      createTable: (kind, name) => store.createTable(kind, name.toLowerCase()),
      openTable: (kind, name) => store.openTable(kind, name.toLowerCase()),
      deleteTable: (kind, name) => store.deleteTable(kind, name.toLowerCase()),
    });
  return override(backend, {
    openProject: async (name, mode) => project(await backend.openProject(name.toLowerCase(), mode)),
    deleteProject: (name) => backend.deleteProject(name.toLowerCase()),
  });
}

/**
 * Writes through handles to deleted tables and projects "succeed" into nothing, and a
 * handle to a deleted project creates it again (what the memory backend once did).
 */
export function writesThroughStaleHandles(backend: StorageBackend): StorageBackend {
  const swallow = async (write: () => Promise<void>): Promise<void> => {
    try {
      await write();
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  };
  const table = (store: TableStore): TableStore =>
    override(store, {
      append: (rows) => swallow(() => store.append(rows)),
      update: (row) => swallow(() => store.update(row)),
      delete: (id) => swallow(() => store.delete(id)),
    });
  const project = (name: string, store: ProjectStore): ProjectStore =>
    override(store, {
      createTable: async (kind, table_) => {
        try {
          return table(await store.createTable(kind, table_));
        } catch (error) {
          if (!isNotFound(error)) throw error;
          return table(await (await backend.openProject(name, "openOrCreate")).createTable(kind, table_));
        }
      },
      openTable: async (kind, table_) => table(await store.openTable(kind, table_)),
    });
  return override(backend, { openProject: async (name, mode) => project(name, await backend.openProject(name, mode)) });
}

/** get hands out the same object every time, so a caller's change to it sticks. */
export function sharesReturnedRows(backend: StorageBackend): StorageBackend {
  const table = (store: TableStore): TableStore => {
    const handedOut = new Map<string, Awaited<ReturnType<TableStore["get"]>>>();
    return override(store, {
      get: async (id) => {
        if (!handedOut.has(id)) handedOut.set(id, await store.get(id));
        return handedOut.get(id);
      },
    });
  };
  const project = (store: ProjectStore): ProjectStore =>
    override(store, {
      createTable: async (kind, name) => table(await store.createTable(kind, name)),
      openTable: async (kind, name) => table(await store.openTable(kind, name)),
    });
  return override(backend, { openProject: async (name, mode) => project(await backend.openProject(name, mode)) });
}
