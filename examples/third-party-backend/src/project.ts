import { open, readdir, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { AlreadyExistsError, type ProjectStoreImpl, type TableKind, type TableStoreImpl, errnoOf, fileSystemError } from "@themis/core/backend";
import { BACKEND_NAME } from "./config.js";
import { syncDirectory } from "./files.js";
import { forgetIds } from "./id-index.js";
import { JsonlTable, queueOf } from "./table.js";

/** The folder of each table kind inside a project folder. */
export const KIND_FOLDERS: Readonly<Record<TableKind, string>> = { dataset: "datasets", experiment: "experiments" };

/** Every table file ends with this. */
const TABLE_EXTENSION = ".jsonl";

/**
 * One project: a folder holding `datasets/<name>.jsonl` and `experiments/<name>.jsonl`.
 * Core has validated every table name before it gets here (no separators, no `..`, no
 * leading dot), so a name is safe to use as a file name as it is. A handle to a deleted
 * project finds no folder: every call fails with NOT_FOUND and creates nothing.
 */
export class JsonlProject implements ProjectStoreImpl {
  readonly #name: string;
  /** Absolute path of the project folder. */
  readonly #dir: string;
  readonly #fsync: boolean;

  constructor(name: string, dir: string, fsync: boolean) {
    this.#name = name;
    this.#dir = dir;
    this.#fsync = fsync;
  }

  #file(kind: TableKind, name: string): string {
    return path.join(this.#dir, KIND_FOLDERS[kind], name + TABLE_EXTENSION);
  }

  #table(kind: TableKind, name: string): TableStoreImpl {
    return new JsonlTable(this.#file(kind, name), `${kind} "${name}" of project "${this.#name}"`, this.#fsync);
  }

  /**
   * A file operation's failure as a Themis error (core's `fileSystemError`); ENOENT is NOT_FOUND
   * of `table`, or of this project when it is gone (deleted through another handle).
   */
  #fsError(error: unknown, action: string, table?: string): unknown {
    const notFound = table === undefined ? `project "${this.#name}" does not exist (deleted?)` : `${table} does not exist in project "${this.#name}"`;
    return fileSystemError(error, { backend: BACKEND_NAME, action: `${action} in project "${this.#name}"`, notFound });
  }

  async createTable(kind: TableKind, name: string): Promise<TableStoreImpl> {
    const file = this.#file(kind, name);
    try {
      // "wx": create only if absent, atomically, so two creators cannot both win.
      await (await open(file, "wx")).close();
    } catch (error) {
      if (errnoOf(error) === "EEXIST") throw new AlreadyExistsError(`${kind} "${name}" already exists in project "${this.#name}"`, { backend: BACKEND_NAME });
      throw this.#fsError(error, `create ${kind} "${name}"`);
    }
    if (this.#fsync) await syncDirectory(path.dirname(file));
    return this.#table(kind, name);
  }

  async openTable(kind: TableKind, name: string): Promise<TableStoreImpl> {
    const file = this.#file(kind, name);
    await stat(file).catch((error: unknown) => {
      throw this.#fsError(error, `open ${kind} "${name}"`, `${kind} "${name}"`);
    });
    return this.#table(kind, name);
  }

  async listTables(kind: TableKind): Promise<string[]> {
    const folder = path.join(this.#dir, KIND_FOLDERS[kind]);
    const files = await readdir(folder).catch((error: unknown) => {
      throw this.#fsError(error, `list the ${kind}s`);
    });
    // Dot files are never tables (core refuses such names); temp files do not end with the extension.
    return files
      .filter((f) => f.endsWith(TABLE_EXTENSION) && !f.startsWith("."))
      .map((f) => f.slice(0, -TABLE_EXTENSION.length))
      .sort();
  }

  async deleteTable(kind: TableKind, name: string): Promise<void> {
    const file = this.#file(kind, name);
    // In the table's queue, so a write in flight finishes first instead of recreating the file.
    await queueOf(file).exclusive(async () => {
      forgetIds(file);
      await unlink(file).catch((error: unknown) => {
        throw this.#fsError(error, `delete ${kind} "${name}"`, `${kind} "${name}"`);
      });
    });
    if (this.#fsync) await syncDirectory(path.dirname(file));
  }
}
