import { AlreadyExistsError, NotFoundError, ROW_ID, type ProjectStore, type TableKind, type TableStore } from "@themis/core";
import type { FolderEntry } from "./box-io.js";
import { BACKEND_NAME, describeBoxError, statusOf, toThemisError } from "./errors.js";
import { sameNameError } from "./folder-index.js";
import { EMPTY_TABLE, KIND_FOLDERS, tableFileName } from "./layout.js";
import type { BoxStorage } from "./storage.js";
import type { TableFileLocation } from "./table-file.js";
import { BoxTable } from "./table-store.js";

/** One project: a folder with a folder per table kind, a CSV file per table. */
export class BoxProject implements ProjectStore {
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
    return new NotFoundError(`${kind} "${name}" does not exist in project "${this.#name}"`, { backend: BACKEND_NAME });
  }

  #location(kind: TableKind, name: string, fileId: string): TableFileLocation {
    const folders = this.#storage.folders;
    return {
      fileId,
      fileName: tableFileName(name),
      path: `${this.#name}/${KIND_FOLDERS[kind]}/${tableFileName(name)}`,
      onGone: () => folders.forgetId(fileId),
    };
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
        if (exact)
          throw new AlreadyExistsError(`${kind} "${name}" already exists in project "${this.#name}"`, {
            backend: BACKEND_NAME,
            cause: describeBoxError(error),
          });
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
