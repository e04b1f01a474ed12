import { randomUUID } from "node:crypto";
import type { Dirent } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { AlreadyExistsError, NotFoundError, type OpenMode } from "@themis/core";
import { ClosedGuard, type ProjectStoreImpl, type StorageBackendImpl } from "@themis/core/backend";
import type { JsonlConfig } from "./config.js";
import { errnoOf, storageError, syncDirectory } from "./files.js";
import { forgetFileIds } from "./id-index.js";
import { BACKEND_NAME } from "./name.js";
import { JsonlProject, KIND_FOLDERS } from "./project.js";

/**
 * The file that makes a folder a project. Written last when a project is created, so a
 * crash half-way leaves a folder that is not listed; and only folders that carry it are
 * listed or deleted, so stray folders in `rootDir` are left alone.
 */
export const PROJECT_MARKER = "themis-project.json";

/**
 * The "jsonl" storage backend: `<rootDir>/<project>/{datasets,experiments}/<table>.jsonl`.
 * Holds no open files between calls, so `close` only stops further use and frees the
 * in-memory id indexes of its tables.
 */
export class JsonlStorage implements StorageBackendImpl {
  readonly name = BACKEND_NAME;
  readonly #rootDir: string;
  readonly #fsync: boolean;
  readonly #guard = new ClosedGuard(BACKEND_NAME);
  readonly #alive = (): void => this.#guard.assertOpen();

  constructor(config: JsonlConfig) {
    this.#rootDir = path.resolve(config.rootDir);
    this.#fsync = config.fsync;
  }

  /** The absolute folder holding the projects. */
  get rootDir(): string {
    return this.#rootDir;
  }

  #project(name: string): ProjectStoreImpl {
    return new JsonlProject({ name, dir: path.join(this.#rootDir, name), fsync: this.#fsync, alive: this.#alive });
  }

  async #exists(project: string): Promise<boolean> {
    const marker = path.join(this.#rootDir, project, PROJECT_MARKER);
    try {
      return (await stat(marker)).isFile();
    } catch (error) {
      if (errnoOf(error) === "ENOENT" || errnoOf(error) === "ENOTDIR") return false;
      throw storageError("read", marker, error);
    }
  }

  async openProject(project: string, mode: OpenMode): Promise<ProjectStoreImpl> {
    this.#alive();
    if (mode !== "create" && (await this.#exists(project))) return this.#project(project);
    if (mode === "open") throw new NotFoundError(`project "${project}" does not exist in ${this.#rootDir}`, { backend: BACKEND_NAME });
    const dir = path.join(this.#rootDir, project);
    const marker = path.join(dir, PROJECT_MARKER);
    try {
      for (const folder of Object.values(KIND_FOLDERS)) await mkdir(path.join(dir, folder), { recursive: true });
      // "wx": of two processes creating one project, exactly one wins.
      const handle = await open(marker, "wx");
      try {
        await handle.writeFile(`${JSON.stringify({ format: "themis-backend-jsonl", version: 1 })}\n`);
        if (this.#fsync) await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (error) {
      if (errnoOf(error) !== "EEXIST") throw storageError("create project in", dir, error);
      if (mode === "create") throw new AlreadyExistsError(`project "${project}" already exists in ${this.#rootDir}`, { backend: BACKEND_NAME });
      return this.#project(project); // openOrCreate: another creator won the race; use its project.
    }
    if (this.#fsync) {
      await syncDirectory(dir);
      await syncDirectory(this.#rootDir);
    }
    return this.#project(project);
  }

  async listProjects(): Promise<string[]> {
    this.#alive();
    let entries: Dirent[];
    try {
      entries = await readdir(this.#rootDir, { withFileTypes: true });
    } catch (error) {
      if (errnoOf(error) === "ENOENT") return []; // No project was ever created here.
      throw storageError("list", this.#rootDir, error);
    }
    const projects: string[] = [];
    for (const entry of entries) {
      if (entry.isDirectory() && !entry.name.startsWith(".") && (await this.#exists(entry.name))) projects.push(entry.name);
    }
    return projects.sort();
  }

  async deleteProject(project: string): Promise<void> {
    this.#alive();
    if (!(await this.#exists(project))) throw new NotFoundError(`project "${project}" does not exist in ${this.#rootDir}`, { backend: BACKEND_NAME });
    const dir = path.join(this.#rootDir, project);
    // Rename first, so the project disappears at once even if removing its files is cut short;
    // a leftover dot-folder is never listed as a project.
    const trash = path.join(this.#rootDir, `.deleted-${randomUUID()}`);
    try {
      await rename(dir, trash);
    } catch (error) {
      if (errnoOf(error) === "ENOENT") throw new NotFoundError(`project "${project}" does not exist in ${this.#rootDir}`, { backend: BACKEND_NAME });
      throw storageError("delete", dir, error);
    }
    if (this.#fsync) await syncDirectory(this.#rootDir);
    forgetFileIds(dir + path.sep, { under: true });
    await rm(trash, { recursive: true, force: true });
  }

  close(): Promise<void> {
    // Free the id indexes of this folder's tables (another open instance just rebuilds them).
    return this.#guard.close(() => forgetFileIds(this.#rootDir + path.sep, { under: true }));
  }
}
