import type { Dirent } from "node:fs";
import { mkdir, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { AlreadyExistsError, NotFoundError, ROW_ID, type ProjectStore, type TableKind, type TableStore } from "@themis/core";
import { type ThemisError, backendError, errnoOf } from "@themis/core/backend";
import { serializeRows } from "@themis/csv-codec";
import { assertNoLinks } from "./confine.js";
import { writeAll, writeFileAtomic } from "./durable-fs.js";
import { mapFsErrors } from "./fs-errors.js";
import { kindDir, tableNameOf, tablePath } from "./layout.js";
import { BACKEND_NAME } from "./names.js";
import type { CsvTableFile } from "./table-file.js";
import { LocalCsvTable } from "./table-store.js";

/** What a project needs from its backend. */
export interface ProjectContext {
  rootDir: string;
  alive: () => void;
  /** The backend's one {@link CsvTableFile} for a path (writer state is shared through it). */
  tableFile: (path: string, describe: string) => CsvTableFile;
  /** Whether the project folder still exists. */
  projectExists: (project: string) => Promise<boolean>;
}

/**
 * The storage contract's project: a folder with `datasets/` and `experiments/`. Each method
 * maps its file-system failures to Themis errors once, at the boundary ({@link mapFsErrors}).
 */
export class LocalCsvProject implements ProjectStore {
  readonly #name: string;
  readonly #context: ProjectContext;

  constructor(name: string, context: ProjectContext) {
    this.#name = name;
    this.#context = context;
  }

  #describe(kind: TableKind, name: string): string {
    return `${kind} "${name}" of project "${this.#name}"`;
  }

  #file(kind: TableKind, name: string): CsvTableFile {
    return this.#context.tableFile(tablePath(this.#context.rootDir, this.#name, kind, name), this.#describe(kind, name));
  }

  /** A folder (or another non-file) where a table's file should be: never listed, never written over. */
  #notAFile(kind: TableKind, name: string, file: string): ThemisError {
    return backendError("config", `${this.#describe(kind, name)}: ${file} is a folder (or another non-file), not a CSV file: move it away`, {
      backend: BACKEND_NAME,
      field: "rootDir",
      issue: `${file} is not a file`,
    });
  }

  async #requireProject(): Promise<void> {
    if (!(await this.#context.projectExists(this.#name))) {
      throw new NotFoundError(`project "${this.#name}" does not exist (it was deleted)`, { backend: BACKEND_NAME });
    }
  }

  createTable(kind: TableKind, name: string): Promise<TableStore> {
    return mapFsErrors(`create ${this.#describe(kind, name)}`, () => this.#createTable(kind, name));
  }

  openTable(kind: TableKind, name: string): Promise<TableStore> {
    return mapFsErrors(`open ${this.#describe(kind, name)}`, () => this.#openTable(kind, name));
  }

  listTables(kind: TableKind): Promise<string[]> {
    return mapFsErrors(`list the ${kind}s of project "${this.#name}"`, () => this.#listTables(kind));
  }

  deleteTable(kind: TableKind, name: string): Promise<void> {
    return mapFsErrors(`delete ${this.#describe(kind, name)}`, () => this.#deleteTable(kind, name));
  }

  async #createTable(kind: TableKind, name: string): Promise<TableStore> {
    this.#context.alive();
    await this.#requireProject();
    const dir = kindDir(this.#context.rootDir, this.#name, kind);
    await assertNoLinks(this.#context.rootDir, path.dirname(dir), "project folder");
    // EEXIST: a file where the folder should be; the write below then fails with ENOTDIR, which says so.
    await mkdir(dir, { recursive: true }).catch((error: unknown) => {
      if (errnoOf(error) !== "EEXIST") throw error;
    });
    await assertNoLinks(this.#context.rootDir, dir, "folder");
    const file = this.#file(kind, name);
    // Written whole through a temp file and linked into place: the table appears complete
    // (header row and all) or not at all, and of two creators exactly one wins.
    try {
      await writeFileAtomic(file.path, (handle) => writeAll(handle, Buffer.from(serializeRows([ROW_ID], []), "utf8")), { exclusive: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") {
        if (!(await stat(file.path)).isFile()) throw this.#notAFile(kind, name, file.path);
        throw new AlreadyExistsError(`${this.#describe(kind, name)} already exists (${file.path})`, { backend: BACKEND_NAME });
      }
      throw error;
    }
    return new LocalCsvTable(file, this.#context.alive, this.#describe(kind, name));
  }

  async #openTable(kind: TableKind, name: string): Promise<TableStore> {
    this.#context.alive();
    const file = this.#file(kind, name);
    const info = await stat(file.path).catch((error: unknown) => {
      // Only a missing path means "no such table": a refused permission is reported as such.
      if (errnoOf(error) === "ENOENT" || errnoOf(error) === "ENOTDIR") return undefined;
      throw error;
    });
    if (info && !info.isFile()) throw this.#notAFile(kind, name, file.path);
    if (!info) {
      await this.#requireProject();
      throw new NotFoundError(`${this.#describe(kind, name)} does not exist`, { backend: BACKEND_NAME });
    }
    await assertNoLinks(this.#context.rootDir, file.path, `the file of ${this.#describe(kind, name)},`);
    return new LocalCsvTable(file, this.#context.alive, this.#describe(kind, name));
  }

  async #listTables(kind: TableKind): Promise<string[]> {
    this.#context.alive();
    let entries: Dirent[];
    try {
      entries = await readdir(kindDir(this.#context.rootDir, this.#name, kind), { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      await this.#requireProject();
      return [];
    }
    const names: string[] = [];
    for (const entry of entries) {
      const name = entry.isFile() || entry.isSymbolicLink() ? tableNameOf(entry.name) : undefined;
      if (name !== undefined) names.push(name);
    }
    return names.sort();
  }

  async #deleteTable(kind: TableKind, name: string): Promise<void> {
    this.#context.alive();
    await this.#file(kind, name).remove();
  }
}
