import { randomUUID } from "node:crypto";
import { ClosedGuard } from "@themis/core/backend";
import { AlreadyExistsError, NotFoundError, type OpenMode, type ProjectStore, type StorageBackend, type TableKind, type TableStore } from "@themis/core";
import { AzureTable, type TableContext } from "./azure-table.js";
import { BlobStore } from "./blob-store.js";
import { type AzureConfig, BACKEND_NAME } from "./config.js";
import { Layout, decodeListedName } from "./layout.js";
import { encodeManifest, parseManifest } from "./manifest.js";
import { TableLog } from "./table-log.js";

const opts = { backend: BACKEND_NAME };

/**
 * The "azure-blob" storage backend: projects and tables as blobs under a prefix of one
 * container (see the README's "Layout" for how concurrent writers stay safe).
 */
export class AzureBlobStorage implements StorageBackend, TableContext {
  readonly name = BACKEND_NAME;
  readonly store: BlobStore;
  readonly layout: Layout;
  readonly concurrency: number;
  readonly #config: AzureConfig;
  readonly #logs = new Map<string, TableLog>();
  readonly #guard = new ClosedGuard(BACKEND_NAME, `the ${BACKEND_NAME} backend`);

  constructor(config: AzureConfig) {
    this.#config = config;
    this.store = new BlobStore(config);
    this.layout = new Layout(config.prefix);
    this.concurrency = config.concurrency;
  }

  assertOpen(): void {
    this.#guard.assertOpen();
  }

  log(project: string, kind: TableKind, table: string): TableLog {
    const key = JSON.stringify([project, kind, table]);
    let log = this.#logs.get(key);
    if (!log) {
      log = new TableLog(this.store, `${kind} "${table}" of project "${project}"`, this.#config.maxConflictRetries, this.concurrency);
      this.#logs.set(key, log);
    }
    return log;
  }

  async openProject(project: string, mode: OpenMode): Promise<ProjectStore> {
    this.assertOpen();
    const marker = this.layout.projectMarker(project);
    if (mode === "open") {
      if (!(await this.store.exists(marker))) throw new NotFoundError(`project "${project}" does not exist`, opts);
    } else {
      const created = await this.#createMarker(marker, project);
      if (!created && mode === "create") throw new AlreadyExistsError(`project "${project}" already exists`, opts);
    }
    return new AzureProject(this, project);
  }

  async #createMarker(marker: string, project: string): Promise<boolean> {
    try {
      return await this.store.create(marker, JSON.stringify({ themis: "azure-blob-project", v: 1, name: project }));
    } catch (error) {
      // A missing container shows up here first: say so plainly.
      if ((error as { code?: string }).code === "ERR_THEMIS_NOT_FOUND") await this.store.checkContainer();
      throw error;
    }
  }

  async listProjects(): Promise<string[]> {
    this.assertOpen();
    const prefix = this.layout.projects();
    const names: string[] = [];
    for await (const { name } of this.store.list(prefix)) {
      const project = decodeListedName(name, prefix);
      if (project !== undefined) names.push(project);
    }
    return names.sort();
  }

  async deleteProject(project: string): Promise<void> {
    this.assertOpen();
    // The marker first: the project is gone for everyone at once, then its blobs go.
    if (!(await this.store.delete(this.layout.projectMarker(project)))) throw new NotFoundError(`project "${project}" does not exist`, opts);
    await this.store.deleteAll(this.layout.project(project), this.concurrency);
  }

  /** Idempotent. The SDK's HTTP agent holds no connection that needs ending. */
  close(): Promise<void> {
    return this.#guard.close();
  }
}

/** A project handle: every call checks that the project still exists. */
class AzureProject implements ProjectStore {
  readonly #backend: AzureBlobStorage;
  readonly #project: string;

  constructor(backend: AzureBlobStorage, project: string) {
    this.#backend = backend;
    this.#project = project;
  }

  async #assertExists(): Promise<void> {
    this.#backend.assertOpen();
    if (!(await this.#backend.store.exists(this.#backend.layout.projectMarker(this.#project)))) {
      throw new NotFoundError(`project "${this.#project}" does not exist`, opts);
    }
  }

  async createTable(kind: TableKind, name: string): Promise<TableStore> {
    await this.#assertExists();
    const manifest = this.#backend.layout.manifest(this.#project, kind, name);
    if (!(await this.#backend.store.create(manifest, encodeManifest({ tableId: randomUUID() })))) {
      throw new AlreadyExistsError(`${kind} "${name}" already exists in project "${this.#project}"`, opts);
    }
    return new AzureTable(this.#backend, this.#project, kind, name);
  }

  async openTable(kind: TableKind, name: string): Promise<TableStore> {
    await this.#assertExists();
    if (!(await this.#backend.store.exists(this.#backend.layout.manifest(this.#project, kind, name)))) {
      throw new NotFoundError(`${kind} "${name}" does not exist in project "${this.#project}"`, opts);
    }
    return new AzureTable(this.#backend, this.#project, kind, name);
  }

  async listTables(kind: TableKind): Promise<string[]> {
    await this.#assertExists();
    const prefix = this.#backend.layout.manifests(this.#project, kind);
    const names: string[] = [];
    for await (const { name } of this.#backend.store.list(prefix)) {
      const table = decodeListedName(name, prefix);
      if (table !== undefined) names.push(table);
    }
    return names.sort();
  }

  async deleteTable(kind: TableKind, name: string): Promise<void> {
    await this.#assertExists();
    const { store, layout } = this.#backend;
    const manifestName = layout.manifest(this.#project, kind, name);
    const text = await store.getText(manifestName);
    if (text === undefined || !(await store.delete(manifestName))) {
      throw new NotFoundError(`${kind} "${name}" does not exist in project "${this.#project}"`, opts);
    }
    // The manifest first (the table is gone for every handle), then this incarnation's segments.
    const { tableId } = parseManifest(text, manifestName);
    await store.deleteAll(layout.segments(this.#project, kind, name, tableId), this.#backend.concurrency);
  }
}
