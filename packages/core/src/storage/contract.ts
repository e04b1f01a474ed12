import type { StoredRow } from "../rows.js";

/** The two kinds of tables a project holds. */
export type TableKind = "dataset" | "experiment";

/** How {@link StorageBackend.openProject} treats an existing or missing project. */
export type OpenMode = "create" | "open" | "openOrCreate";

/**
 * What a storage backend implements: the project level. Core validates every project and
 * table name and every row before a backend sees them, assigns row ids, and builds the
 * user-facing API ({@link Project}, {@link Table}) on top of this.
 *
 * Errors: throw core's error classes (NotFoundError, AlreadyExistsError, ConflictError,
 * UnavailableError, CorruptDataError) so users can match on `code`.
 */
export interface StorageBackend {
  /** The backend's registry name, e.g. "local/csv". */
  readonly name: string;
  /**
   * Open a project. `create`: AlreadyExistsError if it exists. `open`: NotFoundError if
   * missing. `openOrCreate`: either.
   */
  openProject(project: string, mode: OpenMode): Promise<ProjectStore>;
  /** Names of every project, sorted. */
  listProjects(): Promise<string[]>;
  /** Delete a project and only what belongs to it. NotFoundError if missing. */
  deleteProject(project: string): Promise<void>;
  /** Release connections, file handles and locks. Idempotent. */
  close(): Promise<void>;
}

/** One project's tables. */
export interface ProjectStore {
  /** Create an empty table. AlreadyExistsError if one of that kind and name exists. */
  createTable(kind: TableKind, name: string): Promise<TableStore>;
  /** Open an existing table. NotFoundError if missing. */
  openTable(kind: TableKind, name: string): Promise<TableStore>;
  /** Names of the tables of a kind, sorted. */
  listTables(kind: TableKind): Promise<string[]>;
  /** Delete a table and its rows. NotFoundError if missing. */
  deleteTable(kind: TableKind, name: string): Promise<void>;
}

/**
 * One table. Rows are plain JSON objects whose `_row_id` (a string) core assigned or
 * validated; a backend stores them so that every JSON value reads back exactly, and keeps
 * append order.
 */
export interface TableStore {
  /** Every row, in append order. */
  load(): Promise<StoredRow[]>;
  /** Every row in append order, streamed (for tables larger than memory). */
  entries(): AsyncIterable<StoredRow>;
  /** One row, or undefined when no row has that id. */
  get(id: string): Promise<StoredRow | undefined>;
  /**
   * Append rows, atomically as one batch where the store allows it, in order. A row whose
   * `_row_id` is already in the table is an AlreadyExistsError, and then nothing of the
   * batch is stored. Ids are decided by the caller, so the backend can make retrying its
   * own write whose outcome is unknown safe: never store a row twice.
   */
  append(rows: readonly StoredRow[]): Promise<void>;
  /** Replace the row with `row._row_id`, keeping its position. NotFoundError if missing. */
  update(row: StoredRow): Promise<void>;
  /** Remove a row. NotFoundError if missing. */
  delete(id: string): Promise<void>;
}
