import { z } from "zod";
import { defineStorageBackend } from "../definition.js";
import { ClosedGuard } from "../backend/closed-guard.js";
import { AlreadyExistsError, NotFoundError } from "../errors.js";
import type { StoredRow } from "../rows.js";
import type { OpenMode, ProjectStore, StorageBackend, TableKind, TableStore } from "./contract.js";

type TableData = Map<string, StoredRow>;
type ProjectData = Record<TableKind, Map<string, TableData>>;
type Projects = Map<string, ProjectData>;

// Namespaces live as long as the process, so a closed and reopened memory backend sees its data.
const namespaces = new Map<string, Projects>();

const BACKEND_NAME = "memory";
// Rows are plain JSON (core checked them): a JSON round-trip copies them faster than structuredClone.
const clone = (row: StoredRow): StoredRow => JSON.parse(JSON.stringify(row)) as StoredRow;

/**
 * Where a handle points, by name. Handles look their project and table up on every call
 * (as a store addressed by key or path does): a handle to a deleted project or table fails
 * with NotFoundError instead of writing into a detached map that nothing can read again,
 * and one to a table that was deleted and created again acts on the new table.
 */
class MemoryPlace {
  readonly #projects: Projects;
  readonly #alive: () => void;
  readonly project: string;
  constructor(projects: Projects, project: string, alive: () => void) {
    this.#projects = projects;
    this.project = project;
    this.#alive = alive;
  }
  data(): ProjectData {
    this.#alive();
    const data = this.#projects.get(this.project);
    if (!data) throw new NotFoundError(`project "${this.project}" does not exist (deleted?)`, { backend: BACKEND_NAME });
    return data;
  }
  table(kind: TableKind, name: string): TableData {
    const rows = this.data()[kind].get(name);
    if (!rows) throw new NotFoundError(`${kind} "${name}" does not exist in project "${this.project}"`, { backend: BACKEND_NAME });
    return rows;
  }
}

class MemoryTable implements TableStore {
  readonly #place: MemoryPlace;
  readonly #kind: TableKind;
  readonly #name: string;
  constructor(place: MemoryPlace, kind: TableKind, name: string) {
    this.#place = place;
    this.#kind = kind;
    this.#name = name;
  }
  #rows(): TableData {
    return this.#place.table(this.#kind, this.#name);
  }
  async load(): Promise<StoredRow[]> {
    return [...this.#rows().values()].map(clone);
  }
  async *entries(): AsyncIterable<StoredRow> {
    for (const row of [...this.#rows().values()]) yield clone(row);
  }
  async get(id: string): Promise<StoredRow | undefined> {
    const row = this.#rows().get(id);
    return row && clone(row);
  }
  async append(rows: readonly StoredRow[]): Promise<void> {
    const stored = this.#rows();
    const taken = rows.find((row) => stored.has(row._row_id));
    if (taken) throw new AlreadyExistsError(`a row with _row_id "${taken._row_id}" already exists; nothing of the batch was stored`, { backend: BACKEND_NAME });
    for (const row of rows) stored.set(row._row_id, clone(row));
  }
  async update(row: StoredRow): Promise<void> {
    const stored = this.#rows();
    if (!stored.has(row._row_id)) throw new NotFoundError(`no row with id "${row._row_id}"`, { backend: BACKEND_NAME });
    stored.set(row._row_id, clone(row)); // Map.set on an existing key keeps its position.
  }
  async delete(id: string): Promise<void> {
    if (!this.#rows().delete(id)) throw new NotFoundError(`no row with id "${id}"`, { backend: BACKEND_NAME });
  }
}

class MemoryProject implements ProjectStore {
  readonly #place: MemoryPlace;
  constructor(place: MemoryPlace) {
    this.#place = place;
  }
  async createTable(kind: TableKind, name: string): Promise<TableStore> {
    const tables = this.#place.data()[kind];
    if (tables.has(name)) throw new AlreadyExistsError(`${kind} "${name}" already exists in project "${this.#place.project}"`, { backend: BACKEND_NAME });
    tables.set(name, new Map());
    return new MemoryTable(this.#place, kind, name);
  }
  async openTable(kind: TableKind, name: string): Promise<TableStore> {
    this.#place.table(kind, name);
    return new MemoryTable(this.#place, kind, name);
  }
  async listTables(kind: TableKind): Promise<string[]> {
    return [...this.#place.data()[kind].keys()].sort();
  }
  async deleteTable(kind: TableKind, name: string): Promise<void> {
    this.#place.table(kind, name);
    this.#place.data()[kind].delete(name);
  }
}

class MemoryStorage implements StorageBackend {
  readonly name = BACKEND_NAME;
  readonly #guard = new ClosedGuard(BACKEND_NAME);
  readonly #projects: Projects;
  readonly #alive = (): void => this.#guard.assertOpen();

  constructor(namespace: string) {
    let projects = namespaces.get(namespace);
    if (!projects) {
      projects = new Map();
      namespaces.set(namespace, projects);
    }
    this.#projects = projects;
  }
  async openProject(project: string, mode: OpenMode): Promise<ProjectStore> {
    this.#alive();
    const exists = this.#projects.has(project);
    if (exists && mode === "create") throw new AlreadyExistsError(`project "${project}" already exists`, { backend: BACKEND_NAME });
    if (!exists && mode === "open") throw new NotFoundError(`project "${project}" does not exist`, { backend: BACKEND_NAME });
    if (!exists) this.#projects.set(project, { dataset: new Map(), experiment: new Map() });
    return new MemoryProject(new MemoryPlace(this.#projects, project, this.#alive));
  }
  async listProjects(): Promise<string[]> {
    this.#alive();
    return [...this.#projects.keys()].sort();
  }
  async deleteProject(project: string): Promise<void> {
    this.#alive();
    if (!this.#projects.delete(project)) throw new NotFoundError(`project "${project}" does not exist`, { backend: BACKEND_NAME });
  }
  close(): Promise<void> {
    return this.#guard.close();
  }
}

/** Config of the built-in "memory" backend. */
export const memoryConfigSchema = z.strictObject({
  namespace: z.string().min(1).default("default").describe("Backends with the same namespace share data within one process (data is lost when it exits)."),
});

/**
 * "memory": the built-in in-process storage backend, the reference implementation of the
 * storage contract. Data lives until the process exits.
 */
export const memoryBackend = defineStorageBackend({
  name: BACKEND_NAME,
  description: "In-process storage, lost when the process exits (tests, scratch work)",
  configSchema: memoryConfigSchema,
  create: (config) => new MemoryStorage(config.namespace),
});
