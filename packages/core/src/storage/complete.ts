import { ClosedGuard } from "../backend/closed-guard.js";
import type { SerializedRow, StoredRow } from "../rows.js";
import type { OpenMode, ProjectStore, ProjectStoreImpl, StorageBackend, StorageBackendImpl, TableKind, TableStore, TableStoreImpl } from "./contract.js";

/**
 * A full {@link TableStore} from what an author implemented: `store` itself when it has
 * every method (so a backend's own class and its extra methods stay as they are), else a
 * view that adds core's fallbacks: `load` collects `entries()`, `get` scans it.
 */
export function completeTableStore(store: TableStoreImpl): TableStore {
  if (typeof store.load === "function" && typeof store.get === "function") return store as TableStore;
  return new CompletedTable(store);
}

/**
 * A full {@link StorageBackend} from what an author implemented. Without `close`, a view
 * whose `close` marks it closed: every later call, through it or the project and table
 * handles it gave out, fails with ClosedError as the contract wants. With `close`, the
 * backend itself seen through a thin proxy (so `instanceof`, its own extra methods and
 * getters keep working) whose project handles complete their tables with
 * {@link completeTableStore}.
 */
export function completeStorageBackend(backend: StorageBackendImpl): StorageBackend {
  if (typeof backend.close !== "function") return new ClosableStorage(backend);
  return overlay(backend as StorageBackend, {
    openProject: async (project: string, mode: OpenMode) => completeProject(await backend.openProject(project, mode)),
  });
}

/** A project handle whose tables are complete. */
function completeProject(project: ProjectStoreImpl): ProjectStore {
  return overlay(project as unknown as ProjectStore, {
    createTable: async (kind: TableKind, name: string) => completeTableStore(await project.createTable(kind, name)),
    openTable: async (kind: TableKind, name: string) => completeTableStore(await project.openTable(kind, name)),
  });
}

/**
 * `target` with some methods replaced, everything else its own: its other methods are bound
 * to it (private fields keep working), its prototype is kept (`instanceof` holds).
 */
function overlay<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(object, key) {
      if (Object.hasOwn(overrides, key)) return overrides[key as keyof T];
      const value: unknown = Reflect.get(object, key, object);
      return typeof value === "function" ? value.bind(object) : value;
    },
  });
}

class CompletedTable implements TableStore {
  readonly #store: TableStoreImpl;
  readonly appendSerialized?: (rows: readonly SerializedRow[]) => Promise<void>;
  constructor(store: TableStoreImpl) {
    this.#store = store;
    if (store.appendSerialized) this.appendSerialized = (rows) => store.appendSerialized!(rows);
  }
  async load(): Promise<StoredRow[]> {
    if (this.#store.load) return this.#store.load();
    const rows: StoredRow[] = [];
    for await (const row of this.#store.entries()) rows.push(row);
    return rows;
  }
  entries(): AsyncIterable<StoredRow> {
    return this.#store.entries();
  }
  async get(id: string): Promise<StoredRow | undefined> {
    if (this.#store.get) return this.#store.get(id);
    for await (const row of this.#store.entries()) if (row._row_id === id) return row;
    return undefined;
  }
  append(rows: readonly StoredRow[]): Promise<void> {
    return this.#store.append(rows);
  }
  update(row: StoredRow): Promise<void> {
    return this.#store.update(row);
  }
  delete(id: string): Promise<void> {
    return this.#store.delete(id);
  }
}

/** Checks the guard before every call; handles it gives out check it too. */
class ClosableStorage implements StorageBackend {
  readonly name: string;
  readonly #backend: StorageBackendImpl;
  readonly #guard: ClosedGuard;
  constructor(backend: StorageBackendImpl) {
    this.#backend = backend;
    this.name = backend.name;
    this.#guard = new ClosedGuard(backend.name);
  }
  async openProject(project: string, mode: OpenMode): Promise<ProjectStore> {
    this.#guard.assertOpen();
    return new GuardedProject(await this.#backend.openProject(project, mode), this.#guard);
  }
  async listProjects(): Promise<string[]> {
    this.#guard.assertOpen();
    return this.#backend.listProjects();
  }
  async deleteProject(project: string): Promise<void> {
    this.#guard.assertOpen();
    return this.#backend.deleteProject(project);
  }
  close(): Promise<void> {
    return this.#guard.close();
  }
}

class GuardedProject implements ProjectStore {
  readonly #project: ProjectStoreImpl;
  readonly #guard: ClosedGuard;
  constructor(project: ProjectStoreImpl, guard: ClosedGuard) {
    this.#project = project;
    this.#guard = guard;
  }
  async createTable(kind: TableKind, name: string): Promise<TableStore> {
    this.#guard.assertOpen();
    return guardTable(completeTableStore(await this.#project.createTable(kind, name)), this.#guard);
  }
  async openTable(kind: TableKind, name: string): Promise<TableStore> {
    this.#guard.assertOpen();
    return guardTable(completeTableStore(await this.#project.openTable(kind, name)), this.#guard);
  }
  async listTables(kind: TableKind): Promise<string[]> {
    this.#guard.assertOpen();
    return this.#project.listTables(kind);
  }
  async deleteTable(kind: TableKind, name: string): Promise<void> {
    this.#guard.assertOpen();
    return this.#project.deleteTable(kind, name);
  }
}

function guardTable(table: TableStore, guard: ClosedGuard): TableStore {
  const open =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      guard.assertOpen();
      return call(...args);
    };
  return {
    load: open(() => table.load()),
    async *entries() {
      guard.assertOpen();
      for await (const row of table.entries()) {
        guard.assertOpen();
        yield row;
      }
    },
    get: open((id: string) => table.get(id)),
    append: open((rows: readonly StoredRow[]) => table.append(rows)),
    ...(table.appendSerialized && { appendSerialized: open((rows: readonly SerializedRow[]) => table.appendSerialized!(rows)) }),
    update: open((row: StoredRow) => table.update(row)),
    delete: open((id: string) => table.delete(id)),
  };
}
