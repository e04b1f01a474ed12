import { randomBytes } from "node:crypto";
import { S3Client } from "@aws-sdk/client-s3";
import {
  AlreadyExistsError,
  NotFoundError,
  type OpenMode,
  type ProjectStore,
  type StorageBackend,
  type StoredRow,
  type TableKind,
  type TableStore,
} from "@themis/core";
import { ClosedGuard } from "@themis/core/backend";
import { BACKEND_NAME, type S3Config } from "./config.js";
import { mapBounded } from "./bounded.js";
import { Layout } from "./layout.js";
import { emptyManifest } from "./manifest.js";
import { ObjectStore } from "./object-store.js";
import { type CompactionResult, TableLog } from "./table-log.js";

/** Build the S3Client the config describes (or take the one it carries). */
function clientFor(config: S3Config): { client: S3Client; owned: boolean } {
  if (config.client) return { client: config.client, owned: false };
  const compatible = config.endpoint !== undefined;
  const client = new S3Client({
    ...(config.region ? { region: config.region } : compatible ? { region: "us-east-1" } : {}),
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    forcePathStyle: config.forcePathStyle ?? compatible,
    ...(config.credentials ? { credentials: config.credentials } : {}),
    // Deadlines: the SDK waits forever by default on a server that accepts and never answers.
    requestHandler: { connectionTimeout: config.connectTimeoutMs, socketTimeout: config.socketTimeoutMs },
    // S3-compatible servers often predate the SDK's default CRC32 request checksums.
    ...(compatible ? { requestChecksumCalculation: "WHEN_REQUIRED" as const, responseChecksumValidation: "WHEN_REQUIRED" as const } : {}),
  });
  return { client, owned: true };
}

/**
 * The "s3" storage backend: projects and tables as objects in one bucket, under a prefix.
 * See the package README for the layout and the guarantees.
 */
export class S3Storage implements StorageBackend {
  readonly name = BACKEND_NAME;
  readonly #store: ObjectStore;
  readonly #layout: Layout;
  readonly #config: S3Config;
  readonly #ownsClient: boolean;
  readonly #tables = new Map<string, TableLog>();
  readonly #guard = new ClosedGuard(BACKEND_NAME);

  constructor(config: S3Config) {
    const { client, owned } = clientFor(config);
    this.#config = config;
    this.#ownsClient = owned;
    this.#store = new ObjectStore(client, config.bucket, config.concurrency, config.partSizeBytes);
    this.#layout = new Layout(config.prefix);
  }

  /** The S3 client in use. */
  get client(): S3Client {
    return this.#store.client;
  }

  /** Where the projects live: `s3://bucket/prefix/`. */
  get location(): string {
    return `s3://${this.#config.bucket}/${this.#config.prefix}`;
  }

  /** Throws ClosedError after {@link close}; handed to projects and tables, which share it. */
  readonly #alive = (): void => this.#guard.assertOpen();

  /** @internal The log of one table, shared by every handle this backend gives out. */
  tableLog(project: string, kind: TableKind, table: string): TableLog {
    const paths = this.#layout.table(project, kind, table);
    let log = this.#tables.get(paths.root);
    if (!log) {
      log = new TableLog(this.#store, paths, `${kind} "${table}" of project "${project}"`, this.#config);
      this.#tables.set(paths.root, log);
    }
    return log;
  }

  async openProject(project: string, mode: OpenMode): Promise<ProjectStore> {
    this.#alive();
    const marker = this.#layout.projectMarker(project);
    if (mode === "open") {
      if ((await this.#store.getText(marker)) === undefined)
        throw new NotFoundError(`project "${project}" does not exist in ${this.location}`, { backend: BACKEND_NAME });
    } else {
      const created = await this.#store.putIfAbsent(marker, `${JSON.stringify({ themis: "s3-project", v: 1, createdAt: new Date().toISOString() })}\n`);
      if (!created && mode === "create") throw new AlreadyExistsError(`project "${project}" already exists in ${this.location}`, { backend: BACKEND_NAME });
    }
    return new S3Project(this, this.#store, this.#layout, project, this.#alive);
  }

  async listProjects(): Promise<string[]> {
    this.#alive();
    const candidates = await this.#store.listFolders(this.#config.prefix);
    const present = await mapBounded(
      candidates,
      this.#config.concurrency,
      async (name) => (await this.#store.headMetadata(this.#layout.projectMarker(name))) !== undefined,
    );
    return candidates.filter((_, i) => present[i]).sort();
  }

  async deleteProject(project: string): Promise<void> {
    this.#alive();
    const marker = this.#layout.projectMarker(project);
    if ((await this.#store.getText(marker)) === undefined)
      throw new NotFoundError(`project "${project}" does not exist in ${this.location}`, { backend: BACKEND_NAME });
    // The marker goes first: from then on the project is gone for every reader, whatever
    // happens to the rest of the delete.
    await this.#store.delete(marker);
    const root = this.#layout.project(project);
    for (const [key, log] of this.#tables) if (key.startsWith(root)) log.reset();
    await this.#store.deletePrefix(root);
  }

  /**
   * Fold a table's segments into a new compacted base now (writers do it in the background
   * every `compactAfterSegments` segments). Safe next to other writers, readers and compactors.
   */
  async compact(project: string, kind: TableKind, table: string): Promise<CompactionResult> {
    this.#alive();
    return this.tableLog(project, kind, table).compact();
  }

  /** Finish background compactions, then release the client (when this backend created it). Idempotent. */
  close(): Promise<void> {
    return this.#guard.close(async () => {
      await Promise.all([...this.#tables.values()].map((t) => t.idle()));
      if (this.#ownsClient) this.#store.client.destroy();
    });
  }
}

class S3Project implements ProjectStore {
  readonly #storage: S3Storage;
  readonly #store: ObjectStore;
  readonly #layout: Layout;
  readonly #project: string;
  readonly #alive: () => void;

  constructor(storage: S3Storage, store: ObjectStore, layout: Layout, project: string, alive: () => void) {
    this.#storage = storage;
    this.#store = store;
    this.#layout = layout;
    this.#project = project;
    this.#alive = alive;
  }

  #label(kind: TableKind, name: string): string {
    return `${kind} "${name}" of project "${this.#project}"`;
  }

  /** A handle outlives its project: calls on a deleted project fail with NOT_FOUND. */
  async #mustExist(): Promise<void> {
    if ((await this.#store.headMetadata(this.#layout.projectMarker(this.#project))) === undefined) {
      throw new NotFoundError(`project "${this.#project}" was deleted`, { backend: BACKEND_NAME });
    }
  }

  async createTable(kind: TableKind, name: string): Promise<TableStore> {
    this.#alive();
    await this.#mustExist();
    const paths = this.#layout.table(this.#project, kind, name);
    const manifest = emptyManifest(randomBytes(6).toString("hex"));
    if (!(await this.#store.putIfAbsent(paths.manifest, JSON.stringify(manifest)))) {
      throw new AlreadyExistsError(`${this.#label(kind, name)} already exists`, { backend: BACKEND_NAME });
    }
    const log = this.#storage.tableLog(this.#project, kind, name);
    log.reset();
    // Objects of an earlier incarnation whose delete did not finish (a crash): this creator
    // won the manifest, so nothing can still need them.
    const leftovers = (await this.#store.listFolders(paths.root)).filter((id) => id !== manifest.tableId);
    for (const id of leftovers) await this.#store.deletePrefix(paths.data(id));
    return new S3Table(log, this.#alive);
  }

  async openTable(kind: TableKind, name: string): Promise<TableStore> {
    this.#alive();
    const log = this.#storage.tableLog(this.#project, kind, name);
    await log.readManifest(); // NotFoundError when missing
    return new S3Table(log, this.#alive);
  }

  async listTables(kind: TableKind): Promise<string[]> {
    this.#alive();
    const candidates = await this.#store.listFolders(this.#layout.tables(this.#project, kind));
    const present = await mapBounded(
      candidates,
      this.#store.concurrency,
      async (name) => (await this.#store.headMetadata(this.#layout.table(this.#project, kind, name).manifest)) !== undefined,
    );
    // The marker is checked after the listing: when it is still there, the project existed
    // all along and the listing is its own, not the empty remains of a delete.
    await this.#mustExist();
    return candidates.filter((_, i) => present[i]).sort();
  }

  async deleteTable(kind: TableKind, name: string): Promise<void> {
    this.#alive();
    const log = this.#storage.tableLog(this.#project, kind, name);
    const { value } = await log.readManifest(); // NotFoundError when missing
    const paths = this.#layout.table(this.#project, kind, name);
    // Manifest first: the table disappears at once; then its incarnation's objects.
    await this.#store.delete(paths.manifest);
    log.reset();
    await this.#store.deletePrefix(paths.data(value.tableId));
  }
}

/** A table handle. Its promise-returning calls are async functions: a closed backend rejects them, never throws. */
class S3Table implements TableStore {
  readonly #log: TableLog;
  readonly #alive: () => void;

  constructor(log: TableLog, alive: () => void) {
    this.#log = log;
    this.#alive = alive;
  }

  async load(): Promise<StoredRow[]> {
    this.#alive();
    return this.#log.load();
  }
  entries(): AsyncIterable<StoredRow> {
    this.#alive();
    return this.#log.entries(); // no extra generator layer: it costs an await per row
  }
  async get(id: string): Promise<StoredRow | undefined> {
    this.#alive();
    return this.#log.get(id);
  }
  async append(rows: readonly StoredRow[]): Promise<void> {
    this.#alive();
    return this.#log.append(rows);
  }
  async update(row: StoredRow): Promise<void> {
    this.#alive();
    return this.#log.update(row);
  }
  async delete(id: string): Promise<void> {
    this.#alive();
    return this.#log.delete(id);
  }
}
