import { AlreadyExistsError, NotFoundError, type OpenMode, type ProjectStore, type StorageBackend, validateName } from "@themis/core";
import { ClosedGuard } from "@themis/core/backend";
import type { BoxIo, FolderEntry } from "./box-io.js";
import { BACKEND_NAME, describeBoxError, statusOf, toThemisError } from "./errors.js";
import { FolderIndex, sameNameError } from "./folder-index.js";
import { KIND_FOLDERS } from "./layout.js";
import { BoxProject } from "./project-store.js";
import { TableFile, type TableFileLocation } from "./table-file.js";

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
  readonly name = BACKEND_NAME;
  readonly io: BoxIo;
  readonly folders: FolderIndex;
  readonly rootFolderId: string;
  readonly #conflictRetries: number;
  readonly #files = new Map<string, TableFile>();
  readonly #release: () => void;
  readonly #guard = new ClosedGuard(BACKEND_NAME);

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
    this.#guard.assertOpen();
  }

  #rootMissing(): string {
    return `root folder ${this.rootFolderId} does not exist or is not shared with this user (option rootFolderId)`;
  }

  /** The one {@link TableFile} of a file id in this instance (shared cache and write queue). */
  tableFile(location: TableFileLocation): TableFile {
    let file = this.#files.get(location.fileId);
    if (!file) {
      file = new TableFile(this.io, location, this.#conflictRetries);
      this.#files.set(location.fileId, file);
    }
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
      if (mode === "open") throw new NotFoundError(`project "${project}" does not exist`, { backend: BACKEND_NAME });
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
      if (exact) throw new AlreadyExistsError(`project "${project}" already exists`, { backend: BACKEND_NAME, cause: describeBoxError(error) });
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
    if (!found) throw new NotFoundError(missing, { backend: BACKEND_NAME });
    try {
      await this.io.deleteFolder(found.id);
    } catch (error) {
      throw toThemisError(error, `deleting project "${project}"`, missing);
    } finally {
      this.folders.forget(this.rootFolderId, project);
    }
  }

  close(): Promise<void> {
    return this.#guard.close(() => {
      this.#files.clear();
      this.#release();
    });
  }
}
