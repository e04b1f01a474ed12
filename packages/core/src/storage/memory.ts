import { z } from "zod";
import { defineStorageBackend } from "../definition.js";
import { AlreadyExistsError, ClosedError, NotFoundError } from "../errors.js";
import type { StoredRow } from "../rows.js";
import type { OpenMode, ProjectStore, StorageBackend, TableKind, TableStore } from "./contract.js";

type TableData = Map<string, StoredRow>;
type ProjectData = Record<TableKind, Map<string, TableData>>;

// Namespaces live as long as the process, so a closed and reopened memory backend sees its data.
const namespaces = new Map<string, Map<string, ProjectData>>();

const NAME = "memory";
// Rows are plain JSON (core checked them): a JSON round-trip copies them faster than structuredClone.
const clone = (row: StoredRow): StoredRow => JSON.parse(JSON.stringify(row)) as StoredRow;

class MemoryTable implements TableStore {
  private readonly rows: TableData;
  private readonly alive: () => void;
  constructor(rows: TableData, alive: () => void) {
    this.rows = rows;
    this.alive = alive;
  }
  async load(): Promise<StoredRow[]> {
    this.alive();
    return [...this.rows.values()].map(clone);
  }
  async *entries(): AsyncIterable<StoredRow> {
    this.alive();
    for (const row of [...this.rows.values()]) yield clone(row);
  }
  async get(id: string): Promise<StoredRow | undefined> {
    this.alive();
    const row = this.rows.get(id);
    return row && clone(row);
  }
  async append(rows: readonly StoredRow[]): Promise<void> {
    this.alive();
    const taken = rows.find((row) => this.rows.has(row._row_id));
    if (taken) throw new AlreadyExistsError(`a row with _row_id "${taken._row_id}" already exists; nothing of the batch was stored`, { backend: NAME });
    for (const row of rows) this.rows.set(row._row_id, clone(row));
  }
  async update(row: StoredRow): Promise<void> {
    this.alive();
    if (!this.rows.has(row._row_id)) throw new NotFoundError(`no row with id "${row._row_id}"`, { backend: NAME });
    this.rows.set(row._row_id, clone(row)); // Map.set on an existing key keeps its position.
  }
  async delete(id: string): Promise<void> {
    this.alive();
    if (!this.rows.delete(id)) throw new NotFoundError(`no row with id "${id}"`, { backend: NAME });
  }
}

class MemoryProject implements ProjectStore {
  private readonly project: string;
  private readonly data: ProjectData;
  private readonly alive: () => void;
  constructor(project: string, data: ProjectData, alive: () => void) {
    this.project = project;
    this.data = data;
    this.alive = alive;
  }
  async createTable(kind: TableKind, name: string): Promise<TableStore> {
    this.alive();
    if (this.data[kind].has(name)) throw new AlreadyExistsError(`${kind} "${name}" already exists in project "${this.project}"`, { backend: NAME });
    const rows: TableData = new Map();
    this.data[kind].set(name, rows);
    return new MemoryTable(rows, this.alive);
  }
  async openTable(kind: TableKind, name: string): Promise<TableStore> {
    this.alive();
    const rows = this.data[kind].get(name);
    if (!rows) throw new NotFoundError(`${kind} "${name}" does not exist in project "${this.project}"`, { backend: NAME });
    return new MemoryTable(rows, this.alive);
  }
  async listTables(kind: TableKind): Promise<string[]> {
    this.alive();
    return [...this.data[kind].keys()].sort();
  }
  async deleteTable(kind: TableKind, name: string): Promise<void> {
    this.alive();
    if (!this.data[kind].delete(name)) throw new NotFoundError(`${kind} "${name}" does not exist in project "${this.project}"`, { backend: NAME });
  }
}

class MemoryStorage implements StorageBackend {
  readonly name = NAME;
  #closed = false;
  readonly #projects: Map<string, ProjectData>;
  readonly #alive = (): void => {
    if (this.#closed) throw new ClosedError("backend is closed", { backend: NAME });
  };

  constructor(namespace: string) {
    let projects = namespaces.get(namespace);
    if (!projects) namespaces.set(namespace, (projects = new Map()));
    this.#projects = projects;
  }
  async openProject(project: string, mode: OpenMode): Promise<ProjectStore> {
    this.#alive();
    let data = this.#projects.get(project);
    if (data && mode === "create") throw new AlreadyExistsError(`project "${project}" already exists`, { backend: NAME });
    if (!data && mode === "open") throw new NotFoundError(`project "${project}" does not exist`, { backend: NAME });
    if (!data) this.#projects.set(project, (data = { dataset: new Map(), experiment: new Map() }));
    return new MemoryProject(project, data, this.#alive);
  }
  async listProjects(): Promise<string[]> {
    this.#alive();
    return [...this.#projects.keys()].sort();
  }
  async deleteProject(project: string): Promise<void> {
    this.#alive();
    if (!this.#projects.delete(project)) throw new NotFoundError(`project "${project}" does not exist`, { backend: NAME });
  }
  async close(): Promise<void> {
    this.#closed = true;
  }
}

/** Config of the built-in "memory" backend. */
export const memoryConfigSchema = z.strictObject({
  namespace: z
    .string()
    .min(1)
    .default("default")
    .describe("Backends with the same namespace share data within one process (data is lost when it exits)."),
});

/**
 * "memory": the built-in in-process storage backend, the reference implementation of the
 * storage contract. Data lives until the process exits.
 */
export const memoryBackend = defineStorageBackend({
  name: NAME,
  description: "In-process storage, lost when the process exits (tests, scratch work)",
  configSchema: memoryConfigSchema,
  create: (config) => new MemoryStorage(config.namespace),
});
