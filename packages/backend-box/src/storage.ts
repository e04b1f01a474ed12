import { AlreadyExistsError, ClosedError, NotFoundError, ROW_ID, type OpenMode, type ProjectStore, type StorageBackend, type StoredRow, type TableKind, type TableStore, validateName } from "@themis/core";
import { serializeRows } from "@themis/csv-codec";
import type { BoxIo, FolderEntry } from "./box-io.js";
import { BACKEND, describeBoxError, statusOf, toThemisError } from "./errors.js";
import { FolderIndex, sameNameError } from "./folder-index.js";
import { TableFile, type TableFileLocation } from "./table-file.js";

/** Folder of each table kind inside a project folder (Ragas' box/csv layout). */
export const KIND_FOLDERS: Record<TableKind, string> = { dataset: "datasets", experiment: "experiments" };

/** File name of a table: `<name>.csv`. */
export const tableFileName = (name: string): string => `${name}.csv`;

// A new table is its header line alone: a valid CSV file that Box's preview shows as such.
const EMPTY_TABLE = serializeRows([ROW_ID], []);

const isProjectName = (name: string): boolean => {
  try {
    validateName("project", name);
    return true;
  } catch {
    return false;
  }
};

/**
 * "box/csv" storage: `<root>/<project>/{datasets,experiments}/<name>.csv` on Box, one CSV
 * file per table, every change a new file version guarded by If-Match.
 */
export class BoxStorage implements StorageBackend {
  readonly name = BACKEND;
  readonly io: BoxIo;
  readonly folders: FolderIndex;
  readonly rootFolderId: string;
  readonly #conflictRetries: number;
  readonly #files = new Map<string, TableFile>();
  readonly #release: () => void;
  #closed = false;

  /** `release` closes the client's connections on {@link close}. */
  constructor(io: BoxIo, rootFolderId: string, conflictRetries: number, release: () => void = () => undefined) {
    this.io = io;
    this.#release = release;
    this.folders = new FolderIndex(io);
    this.rootFolderId = rootFolderId;
    this.#conflictRetries = conflictRetries;
  }

  /** Throws ClosedError after {@link close}. */
  alive(): void {
    if (this.#closed) throw new ClosedError("backend is closed", { backend: BACKEND });
  }

  #rootMissing(): string {
    return `root folder ${this.rootFolderId} does not exist or is not shared with this user (option rootFolderId)`;
  }

  /** The one {@link TableFile} of a file id in this instance (shared cache and write queue). */
  tableFile(location: TableFileLocation): TableFile {
    let file = this.#files.get(location.fileId);
    if (!file) this.#files.set(location.fileId, (file = new TableFile(this.io, location, this.#conflictRetries)));
    return file;
  }

  dropTableFile(fileId: string): void {
    this.#files.delete(fileId);
  }

  async openProject(project: string, mode: OpenMode): Promise<ProjectStore> {
    this.alive();
    if (mode !== "create") {
      const found = await this.folders.find(this.rootFolderId, project, "folder", this.#rootMissing());
      if (found) return new BoxProject(this, project, found);
      if (mode === "open") throw new NotFoundError(`project "${project}" does not exist`, { backend: BACKEND });
    }
    let folder: FolderEntry;
    try {
      folder = await this.io.createFolder(this.rootFolderId, project);
    } catch (error) {
      if (statusOf(error) !== 409) throw toThemisError(error, `creating project "${project}"`, this.#rootMissing());
      // Another client made it meanwhile (or it has the same name in another case).
      const raced = mode === "create" ? undefined : await this.folders.find(this.rootFolderId, project, "folder", this.#rootMissing());
      if (raced) return new BoxProject(this, project, raced);
      const exact = await this.folders.find(this.rootFolderId, project, "folder", this.#rootMissing());
      if (exact) throw new AlreadyExistsError(`project "${project}" already exists`, { backend: BACKEND, cause: describeBoxError(error) });
      throw sameNameError(project, describeBoxError(error));
    }
    this.folders.remember(this.rootFolderId, folder);
    // Both kind folders up front, so the layout is visible in Box's web app from the start.
    for (const kindFolder of Object.values(KIND_FOLDERS)) await this.folders.ensureFolder(folder.id, kindFolder, `project "${project}" was deleted`);
    return new BoxProject(this, project, folder);
  }

  async listProjects(): Promise<string[]> {
    this.alive();
    const entries = await this.folders.list(this.rootFolderId, this.#rootMissing());
    return entries
      .filter((e) => e.type === "folder" && isProjectName(e.name))
      .map((e) => e.name)
      .sort();
  }

  async deleteProject(project: string): Promise<void> {
    this.alive();
    const missing = `project "${project}" does not exist`;
    const found = await this.folders.find(this.rootFolderId, project, "folder", this.#rootMissing());
    if (!found) throw new NotFoundError(missing, { backend: BACKEND });
    try {
      await this.io.deleteFolder(found.id);
    } catch (error) {
      throw toThemisError(error, `deleting project "${project}"`, missing);
    } finally {
      this.folders.forget(this.rootFolderId, project);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#files.clear();
    this.#release();
  }
}

class BoxProject implements ProjectStore {
  readonly #storage: BoxStorage;
  readonly #name: string;
  readonly #folder: FolderEntry;

  constructor(storage: BoxStorage, name: string, folder: FolderEntry) {
    this.#storage = storage;
    this.#name = name;
    this.#folder = folder;
  }

  #gone(): string {
    return `project "${this.#name}" does not exist (deleted?)`;
  }

  #missingTable(kind: TableKind, name: string): NotFoundError {
    return new NotFoundError(`${kind} "${name}" does not exist in project "${this.#name}"`, { backend: BACKEND });
  }

  #location(kind: TableKind, name: string, fileId: string): TableFileLocation {
    const folders = this.#storage.folders;
    return { fileId, fileName: tableFileName(name), path: `${this.#name}/${KIND_FOLDERS[kind]}/${tableFileName(name)}`, onGone: () => folders.forgetId(fileId) };
  }

  async createTable(kind: TableKind, name: string): Promise<TableStore> {
    this.#storage.alive();
    const s = this.#storage;
    const folder = await s.folders.ensureFolder(this.#folder.id, KIND_FOLDERS[kind], this.#gone());
    const fileName = tableFileName(name);
    try {
      const info = await s.io.uploadNew(folder.id, fileName, Buffer.from(EMPTY_TABLE, "utf8"));
      s.folders.remember(folder.id, { type: "file", id: info.id, name: fileName });
      const file = s.tableFile(this.#location(kind, name, info.id));
      file.seed(info, EMPTY_TABLE, [ROW_ID]);
      return new BoxTable(s, file);
    } catch (error) {
      if (statusOf(error) === 409) {
        const exact = await s.folders.find(folder.id, fileName, "file", this.#gone());
        if (exact) throw new AlreadyExistsError(`${kind} "${name}" already exists in project "${this.#name}"`, { backend: BACKEND, cause: describeBoxError(error) });
        throw sameNameError(fileName, describeBoxError(error));
      }
      if (statusOf(error) === 404) s.folders.forgetFolder(folder.id);
      throw toThemisError(error, `creating ${kind} "${name}"`, this.#gone());
    }
  }

  async #find(kind: TableKind, name: string): Promise<{ folderId: string; entry: FolderEntry } | undefined> {
    const s = this.#storage;
    const folder = await s.folders.find(this.#folder.id, KIND_FOLDERS[kind], "folder", this.#gone());
    if (!folder) return undefined;
    const entry = await s.folders.find(folder.id, tableFileName(name), "file", this.#gone());
    return entry && { folderId: folder.id, entry };
  }

  async openTable(kind: TableKind, name: string): Promise<TableStore> {
    this.#storage.alive();
    const found = await this.#find(kind, name);
    if (!found) throw this.#missingTable(kind, name);
    return new BoxTable(this.#storage, this.#storage.tableFile(this.#location(kind, name, found.entry.id)));
  }

  async listTables(kind: TableKind): Promise<string[]> {
    this.#storage.alive();
    const s = this.#storage;
    const folder = await s.folders.find(this.#folder.id, KIND_FOLDERS[kind], "folder", this.#gone());
    if (!folder) return [];
    const entries = await s.folders.list(folder.id, this.#gone());
    return entries
      .filter((e) => e.type === "file" && e.name.endsWith(".csv") && e.name.length > 4)
      .map((e) => e.name.slice(0, -4))
      .sort();
  }

  async deleteTable(kind: TableKind, name: string): Promise<void> {
    this.#storage.alive();
    const s = this.#storage;
    const found = await this.#find(kind, name);
    if (!found) throw this.#missingTable(kind, name);
    try {
      await s.io.deleteFile(found.entry.id);
    } catch (error) {
      throw toThemisError(error, `deleting ${kind} "${name}"`, this.#missingTable(kind, name).message);
    } finally {
      s.folders.forget(found.folderId, found.entry.name);
      s.dropTableFile(found.entry.id);
    }
  }
}

class BoxTable implements TableStore {
  readonly #storage: BoxStorage;
  readonly #file: TableFile;

  constructor(storage: BoxStorage, file: TableFile) {
    this.#storage = storage;
    this.#file = file;
  }

  async load(): Promise<StoredRow[]> {
    this.#storage.alive();
    return this.#file.rows();
  }

  async *entries(): AsyncIterable<StoredRow> {
    this.#storage.alive();
    // The file comes down whole (Box has no partial reads of a changing file); rows are copied one by one.
    for (const row of await this.#file.rows()) yield row;
  }

  async get(id: string): Promise<StoredRow | undefined> {
    this.#storage.alive();
    return this.#file.row(id);
  }

  async append(rows: readonly StoredRow[]): Promise<void> {
    this.#storage.alive();
    await this.#file.change({ kind: "append", rows });
  }

  async update(row: StoredRow): Promise<void> {
    this.#storage.alive();
    await this.#file.change({ kind: "update", row });
  }

  async delete(id: string): Promise<void> {
    this.#storage.alive();
    await this.#file.change({ kind: "delete", id });
  }
}
