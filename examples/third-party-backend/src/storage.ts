import { randomUUID } from "node:crypto";
import { mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { AlreadyExistsError, NotFoundError, errnoOf, fileSystemError } from "@themis/core/backend";
import type { OpenMode, ProjectStoreImpl, StorageBackendImpl } from "@themis/core/backend";
import { BACKEND_NAME, type JsonlConfig } from "./config.js";
import { syncDirectory } from "./files.js";
import { forgetIds } from "./id-index.js";
import { JsonlProject, KIND_FOLDERS } from "./project.js";

/**
 * The file that makes a folder a project. Written last when a project is created, so a
 * crash half-way leaves a folder that is not listed; and only folders that carry it are
 * listed or deleted, so stray folders in `rootDir` are left alone.
 */
export const PROJECT_MARKER = "themis-project.json";

/**
 * The "jsonl" storage backend: `<rootDir>/<project>/{datasets,experiments}/<table>.jsonl`.
 *
 * No `close`: this backend holds no connection, open file or lock between calls, so core's
 * fallback, which makes every later call through it and its handles fail with ClosedError,
 * is all `close` has to do.
 */
export class JsonlStorage implements StorageBackendImpl {
  readonly name = BACKEND_NAME;
  /** The absolute folder holding the projects. */
  readonly #rootDir: string;
  readonly #fsync: boolean;

  constructor(config: JsonlConfig) {
    this.#rootDir = path.resolve(config.rootDir);
    this.#fsync = config.fsync;
  }

  #project(name: string): ProjectStoreImpl {
    return new JsonlProject(name, path.join(this.#rootDir, name), this.#fsync);
  }

  #missing(project: string): NotFoundError {
    return new NotFoundError(`project "${project}" does not exist in ${this.#rootDir}`, { backend: BACKEND_NAME });
  }

  async #exists(project: string): Promise<boolean> {
    const marker = path.join(this.#rootDir, project, PROJECT_MARKER);
    try {
      return (await stat(marker)).isFile();
    } catch (error) {
      if (errnoOf(error) === "ENOENT" || errnoOf(error) === "ENOTDIR") return false;
      throw fileSystemError(error, { backend: BACKEND_NAME, action: `read ${marker}` });
    }
  }

  async openProject(project: string, mode: OpenMode): Promise<ProjectStoreImpl> {
    if (mode !== "create" && (await this.#exists(project))) return this.#project(project);
    if (mode === "open") throw this.#missing(project);
    const dir = path.join(this.#rootDir, project);
    try {
      for (const folder of Object.values(KIND_FOLDERS)) await mkdir(path.join(dir, folder), { recursive: true });
      // "wx": of two processes creating one project, exactly one wins.
      const marker = `${JSON.stringify({ format: "themis-backend-jsonl", version: 1 })}\n`;
      await writeFile(path.join(dir, PROJECT_MARKER), marker, { flag: "wx", flush: this.#fsync });
    } catch (error) {
      if (errnoOf(error) !== "EEXIST") throw fileSystemError(error, { backend: BACKEND_NAME, action: `create project "${project}" in ${this.#rootDir}` });
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
    const entries = await readdir(this.#rootDir, { withFileTypes: true }).catch((error: unknown) => {
      if (errnoOf(error) === "ENOENT") return []; // No project was ever created here.
      throw fileSystemError(error, { backend: BACKEND_NAME, action: `list the projects in ${this.#rootDir}` });
    });
    const projects: string[] = [];
    for (const entry of entries) {
      if (entry.isDirectory() && !entry.name.startsWith(".") && (await this.#exists(entry.name))) projects.push(entry.name);
    }
    return projects.sort();
  }

  async deleteProject(project: string): Promise<void> {
    if (!(await this.#exists(project))) throw this.#missing(project);
    const dir = path.join(this.#rootDir, project);
    // Rename first, so the project disappears at once even if removing its files is cut short;
    // a leftover dot-folder is never listed as a project.
    const trash = path.join(this.#rootDir, `.deleted-${randomUUID()}`);
    await rename(dir, trash).catch((error: unknown) => {
      throw errnoOf(error) === "ENOENT" ? this.#missing(project) : fileSystemError(error, { backend: BACKEND_NAME, action: `delete project "${project}"` });
    });
    if (this.#fsync) await syncDirectory(this.#rootDir);
    forgetIds(dir);
    await rm(trash, { recursive: true, force: true });
  }
}
