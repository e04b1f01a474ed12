import { randomBytes } from "node:crypto";
import type { Dirent } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { AlreadyExistsError, NotFoundError, type OpenMode, type ProjectStore, type StorageBackend } from "@themis/core";
import { ClosedGuard, errnoOf } from "@themis/core/backend";
import type { LocalCsvConfig } from "./config.js";
import { mapFsErrors } from "./fs-errors.js";
import { KIND_FOLDERS, projectDir } from "./layout.js";
import { BACKEND_NAME } from "./names.js";
import { LocalCsvProject } from "./project-store.js";
import { CsvTableFile } from "./table-file.js";

/** The "local/csv" storage backend: one folder per project, one CSV file per table. */
export class LocalCsvStorage implements StorageBackend {
  readonly name = BACKEND_NAME;
  /** Absolute root folder. */
  readonly rootDir: string;
  readonly #config: LocalCsvConfig;
  readonly #files = new Map<string, CsvTableFile>();
  readonly #guard = new ClosedGuard(BACKEND_NAME);
  readonly #alive = (): void => this.#guard.assertOpen();

  constructor(config: LocalCsvConfig) {
    this.#config = config;
    this.rootDir = path.resolve(config.rootDir);
  }

  #tableFile = (file: string, describe: string): CsvTableFile => {
    let table = this.#files.get(file);
    if (!table) {
      table = new CsvTableFile(file, describe, this.#config);
      this.#files.set(file, table);
    }
    return table;
  };

  #projectExists = async (project: string): Promise<boolean> => {
    try {
      return (await stat(projectDir(this.rootDir, project))).isDirectory();
    } catch (error) {
      // Only a missing path means "no such project": a refused permission is reported as such.
      if (errnoOf(error) === "ENOENT" || errnoOf(error) === "ENOTDIR") return false;
      throw error;
    }
  };

  // Each operation maps its file-system failures to Themis errors once, here ({@link mapFsErrors}).
  openProject(project: string, mode: OpenMode): Promise<ProjectStore> {
    return mapFsErrors(`${mode === "open" ? "open" : "create"} project "${project}" in ${this.rootDir}`, () => this.#openProject(project, mode));
  }

  listProjects(): Promise<string[]> {
    return mapFsErrors(`list the projects in ${this.rootDir}`, () => this.#listProjects());
  }

  deleteProject(project: string): Promise<void> {
    return mapFsErrors(`delete project "${project}"`, () => this.#deleteProject(project));
  }

  async #openProject(project: string, mode: OpenMode): Promise<ProjectStore> {
    this.#alive();
    const dir = projectDir(this.rootDir, project);
    if (mode === "open") {
      if (!(await this.#projectExists(project))) throw new NotFoundError(`project "${project}" does not exist (no folder ${dir})`, { backend: BACKEND_NAME });
    } else {
      try {
        await mkdir(this.rootDir, { recursive: true });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "EEXIST" && code !== "ENOTDIR") throw error;
        throw new AlreadyExistsError(`rootDir ${this.rootDir} exists and is not a folder (or a parent of it is a file)`, {
          backend: BACKEND_NAME,
          cause: error,
        });
      }
      try {
        await mkdir(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        if (mode === "create") throw new AlreadyExistsError(`project "${project}" already exists (${dir})`, { backend: BACKEND_NAME });
        if (!(await this.#projectExists(project))) throw new AlreadyExistsError(`${dir} exists and is not a folder`, { backend: BACKEND_NAME });
      }
      for (const folder of Object.values(KIND_FOLDERS)) await mkdir(path.join(dir, folder), { recursive: true });
    }
    return new LocalCsvProject(project, { rootDir: this.rootDir, alive: this.#alive, tableFile: this.#tableFile, projectExists: this.#projectExists });
  }

  async #listProjects(): Promise<string[]> {
    this.#alive();
    let entries: Dirent[];
    try {
      entries = await readdir(this.rootDir, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    return entries
      .filter((e) => e.isDirectory() && !e.name.startsWith("."))
      .map((e) => e.name)
      .sort();
  }

  async #deleteProject(project: string): Promise<void> {
    this.#alive();
    const dir = projectDir(this.rootDir, project);
    // Move the folder out of sight first: the project disappears at once and as a whole,
    // even if removing its files takes a while or is interrupted.
    const trash = path.join(this.rootDir, `.deleted-${process.pid}-${randomBytes(6).toString("hex")}`);
    try {
      await rename(dir, trash);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT")
        throw new NotFoundError(`project "${project}" does not exist (no folder ${dir})`, { backend: BACKEND_NAME });
      throw error;
    }
    for (const [file, table] of this.#files) {
      if (file.startsWith(dir + path.sep)) {
        await table.close();
        this.#files.delete(file);
      }
    }
    await rm(trash, { recursive: true, force: true });
  }

  /** Close every table's append handle and lease; idempotent. Later calls fail with ClosedError. */
  close(): Promise<void> {
    return this.#guard.close(async () => {
      for (const table of this.#files.values()) await table.close();
      this.#files.clear();
    });
  }
}
