import { open, readdir, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { AlreadyExistsError, NotFoundError, type TableKind } from "@themis/core";
import type { ProjectStoreImpl, TableStoreImpl } from "@themis/core/backend";
import { errnoOf, storageError, syncDirectory } from "./files.js";
import { forgetFileIds } from "./id-index.js";
import { BACKEND_NAME } from "./name.js";
import { queueOf } from "./write-queue.js";
import { JsonlTable } from "./table.js";

/** The folder of each table kind inside a project folder. */
export const KIND_FOLDERS: Readonly<Record<TableKind, string>> = { dataset: "datasets", experiment: "experiments" };

/** Every table file ends with this. */
export const TABLE_EXTENSION = ".jsonl";

/** What a project needs to know about where it lives. */
export interface JsonlProjectOptions {
  name: string;
  /** Absolute path of the project folder. */
  dir: string;
  fsync: boolean;
  /** Throws ClosedError once the backend is closed. */
  alive: () => void;
}

/**
 * One project: a folder holding `datasets/<name>.jsonl` and `experiments/<name>.jsonl`.
 * Core has validated every table name before it gets here (no separators, no `..`, no
 * leading dot), so a name is safe to use as a file name as it is.
 */
export class JsonlProject implements ProjectStoreImpl {
  readonly #options: JsonlProjectOptions;

  constructor(options: JsonlProjectOptions) {
    this.#options = options;
  }

  #folder(kind: TableKind): string {
    return path.join(this.#options.dir, KIND_FOLDERS[kind]);
  }

  #file(kind: TableKind, name: string): string {
    return path.join(this.#folder(kind), name + TABLE_EXTENSION);
  }

  #table(kind: TableKind, name: string): TableStoreImpl {
    const { name: project, fsync, alive } = this.#options;
    return new JsonlTable({ kind, name, project, file: this.#file(kind, name), fsync, alive });
  }

  #missing(kind: TableKind, name: string): NotFoundError {
    return new NotFoundError(`${kind} "${name}" does not exist in project "${this.#options.name}"`, { backend: BACKEND_NAME });
  }

  #projectMissing(): NotFoundError {
    return new NotFoundError(`project "${this.#options.name}" does not exist (deleted?)`, { backend: BACKEND_NAME });
  }

  async createTable(kind: TableKind, name: string): Promise<TableStoreImpl> {
    this.#options.alive();
    const file = this.#file(kind, name);
    try {
      // "wx": create only if absent, atomically, so two creators cannot both win.
      await (await open(file, "wx")).close();
    } catch (error) {
      if (errnoOf(error) === "EEXIST")
        throw new AlreadyExistsError(`${kind} "${name}" already exists in project "${this.#options.name}"`, { backend: BACKEND_NAME });
      if (errnoOf(error) === "ENOENT") throw this.#projectMissing();
      throw storageError("create", file, error);
    }
    if (this.#options.fsync) await syncDirectory(path.dirname(file));
    return this.#table(kind, name);
  }

  async openTable(kind: TableKind, name: string): Promise<TableStoreImpl> {
    this.#options.alive();
    const file = this.#file(kind, name);
    try {
      await stat(file);
    } catch (error) {
      if (errnoOf(error) === "ENOENT") throw this.#missing(kind, name);
      throw storageError("open", file, error);
    }
    return this.#table(kind, name);
  }

  async listTables(kind: TableKind): Promise<string[]> {
    this.#options.alive();
    let files: string[];
    try {
      files = await readdir(this.#folder(kind));
    } catch (error) {
      if (errnoOf(error) === "ENOENT") throw this.#projectMissing();
      throw storageError("list", this.#folder(kind), error);
    }
    // Dot files are the backend's own (temp files of atomic rewrites), never tables.
    return files
      .filter((f) => f.endsWith(TABLE_EXTENSION) && !f.startsWith("."))
      .map((f) => f.slice(0, -TABLE_EXTENSION.length))
      .sort();
  }

  async deleteTable(kind: TableKind, name: string): Promise<void> {
    this.#options.alive();
    const file = this.#file(kind, name);
    // In the table's queue, so a write in flight finishes first instead of recreating the file.
    await queueOf(file).exclusive(async () => {
      forgetFileIds(file);
      try {
        await unlink(file);
      } catch (error) {
        if (errnoOf(error) === "ENOENT") throw this.#missing(kind, name);
        throw storageError("delete", file, error);
      }
    });
    if (this.#options.fsync) await syncDirectory(path.dirname(file));
  }
}
