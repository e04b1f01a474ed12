import type { SerializedRow, StoredRow } from "../rows.js";

/** The two kinds of tables a project holds. */
export type TableKind = "dataset" | "experiment";

/** How {@link StorageBackend.openProject} treats an existing or missing project. */
export type OpenMode = "create" | "open" | "openOrCreate";

/**
 * What a storage backend implements: the project level. Of the 14 methods of
 * {@link StorageBackend}, {@link ProjectStore} and {@link TableStore}, 11 are required; an
 * author may leave out `close`, `TableStore.load` and `TableStore.get` (see
 * {@link StorageBackendImpl}): core's fallbacks are correct, only slower where noted. Core validates every project and
 * table name and every row before a backend sees them, assigns row ids, and builds the
 * user-facing API ({@link Project}, {@link Table}) on top of this.
 *
 * Errors: throw core's error classes (NotFoundError, AlreadyExistsError, ConflictError,
 * UnavailableError, CorruptDataError) so users can match on `code`.
 *
 * Names (checked by `@themis/conformance`):
 * - A name is kept exactly as given: listings show the case it was created with, and the
 *   exact name opens it. Two names that differ only in case are two projects or tables on
 *   a store that tells them apart (memory, Redis, S3, a case-sensitive file system). A
 *   backend over a store that does not (Box, a case-insensitive file system) refuses the
 *   second with AlreadyExistsError instead of merging them; it declares that with the
 *   conformance capability `caseInsensitiveNames`.
 * - Listings are sorted in JavaScript's default order (UTF-16 code units, `Array#sort()`).
 *
 * Handles ({@link ProjectStore}, {@link TableStore}) after a delete:
 * - Once the project or table is deleted (through this handle or any other), every call
 *   through an older handle fails with NotFoundError: a write never lands in a detached
 *   copy, a read never returns the deleted rows, and a handle to a deleted project never
 *   creates it again.
 * - When a table (or project) of the same name is created again, an older handle either
 *   acts on the new one, as a handle opened anew would (stores addressed by name: keys,
 *   paths; the memory backend), or keeps failing with NotFoundError (stores addressed by
 *   id, such as Box; conformance capability `handlesById`). Never does it reach the
 *   deleted rows.
 * - After {@link StorageBackend.close}, calls through the backend and every handle it gave
 *   out fail with ClosedError (`ERR_THEMIS_CLOSED`).
 */
export interface StorageBackend {
  /** The backend's registry name, e.g. "local/csv". */
  readonly name: string;
  /**
   * Open a project. `create`: AlreadyExistsError if it exists. `open`: NotFoundError if
   * missing. `openOrCreate`: either.
   */
  openProject(project: string, mode: OpenMode): Promise<ProjectStore>;
  /** Names of every project, sorted (JavaScript's default order: UTF-16 code units). */
  listProjects(): Promise<string[]>;
  /** Delete a project and only what belongs to it. NotFoundError if missing. */
  deleteProject(project: string): Promise<void>;
  /**
   * Release connections, file handles and locks. Idempotent: a second call resolves and
   * does nothing. Afterwards every call through the backend or its handles fails with
   * ClosedError.
   */
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
 * append order. Rows passed to `append` and `update` are copies core made for the backend,
 * which may keep them; rows returned by `load`, `entries` and `get` belong to the caller,
 * who may change them without changing what is stored.
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
  /**
   * Optional: {@link append} for rows core has already serialised, each as its id and its
   * JSON text. Implement it when the store keeps rows as JSON text (a key-value store, a
   * JSON Lines file): core then calls it instead of `append` for every append through a
   * `Table`, and a large batch is never held as a second copy of objects (less memory and
   * garbage collection). Same contract as `append`: in order, atomic where the store
   * allows it, AlreadyExistsError for an id already in the table.
   */
  appendSerialized?(rows: readonly SerializedRow[]): Promise<void>;
  /** Replace the row with `row._row_id`, keeping its position. NotFoundError if missing. */
  update(row: StoredRow): Promise<void>;
  /** Remove a row. NotFoundError if missing. */
  delete(id: string): Promise<void>;
}

/**
 * What a storage backend's author implements: {@link StorageBackend} with `close` optional
 * (without it, core's fallback only marks the backend closed: later calls fail with
 * ClosedError). Core completes it (`completeStorageBackend`, applied by
 * `defineStorageBackend`), so users and core always see a full {@link StorageBackend}.
 */
export interface StorageBackendImpl extends Omit<StorageBackend, "close" | "openProject"> {
  openProject(project: string, mode: OpenMode): Promise<ProjectStoreImpl>;
  close?(): Promise<void>;
}

/** What an author implements of {@link ProjectStore}: tables may be {@link TableStoreImpl}s. */
export interface ProjectStoreImpl extends Omit<ProjectStore, "createTable" | "openTable"> {
  createTable(kind: TableKind, name: string): Promise<TableStoreImpl>;
  openTable(kind: TableKind, name: string): Promise<TableStoreImpl>;
}

/**
 * What an author implements of {@link TableStore}: `entries`, `append`, `update` and
 * `delete`. `load` and `get` are optional: core's fallbacks read `entries()` (all of it
 * for `load`; until the id is found for `get`). Implement them when the store does better
 * (one round trip, an index).
 */
export interface TableStoreImpl extends Omit<TableStore, "load" | "get"> {
  load?(): Promise<StoredRow[]>;
  get?(id: string): Promise<StoredRow | undefined>;
}

/**
 * What a storage backend declares about itself on its definition (`capabilities` of
 * `defineStorageBackend`); `@themis/conformance` reads them to pick its tests.
 */
export interface StorageCapabilities {
  /** Data survives closing the backend and creating a new one. Default true. */
  readonly persistent?: boolean;
  /** Names that differ only in case are one name to the store (see "Names" above). Default false. */
  readonly caseInsensitiveNames?: boolean;
  /** Handles address what they opened by id, not by name (see "Handles" above). Default false. */
  readonly handlesById?: boolean;
}
