import { NotFoundError, type StoredRow, type TableKind, type TableStore } from "@themis/core";
import type { BlobStore } from "./blob-store.js";
import { BACKEND_NAME } from "./config.js";
import type { Layout } from "./layout.js";
import { parseManifest } from "./manifest.js";
import type { RowChange } from "@themis/core/backend";
import type { Incarnation, TableLog } from "./table-log.js";
import { listSegments, readRows } from "./table-reader.js";

/** What a table handle needs from its backend. */
export interface TableContext {
  store: BlobStore;
  layout: Layout;
  concurrency: number;
  /** Throws ClosedError once the backend is closed. */
  assertOpen(): void;
  /** The backend's one writer of this table. */
  log(project: string, kind: TableKind, table: string): TableLog;
}

/**
 * A handle on a table by name: every call reads the manifest first, so a handle follows
 * the table through deletes (NotFoundError) and re-creation (the new incarnation).
 */
export class AzureTable implements TableStore {
  readonly #ctx: TableContext;
  readonly #project: string;
  readonly #kind: TableKind;
  readonly #table: string;

  constructor(ctx: TableContext, project: string, kind: TableKind, table: string) {
    this.#ctx = ctx;
    this.#project = project;
    this.#kind = kind;
    this.#table = table;
  }

  get #label(): string {
    return `${this.#kind} "${this.#table}" of project "${this.#project}"`;
  }

  /** The current incarnation, or NotFoundError. */
  async #segments(): Promise<Incarnation> {
    this.#ctx.assertOpen();
    const name = this.#ctx.layout.manifest(this.#project, this.#kind, this.#table);
    const text = await this.#ctx.store.getText(name);
    if (text === undefined) throw new NotFoundError(`${this.#label} does not exist`, { backend: BACKEND_NAME });
    const { tableId } = parseManifest(text, name);
    return { tableId, prefix: this.#ctx.layout.segments(this.#project, this.#kind, this.#table, tableId) };
  }

  async load(): Promise<StoredRow[]> {
    const rows: StoredRow[] = [];
    for await (const row of this.entries()) rows.push(row);
    return rows;
  }

  async *entries(): AsyncGenerator<StoredRow> {
    // The listing of every incarnation runs beside the manifest read (one round trip less);
    // only the current incarnation's segments are kept.
    const root = this.#ctx.layout.tableData(this.#project, this.#kind, this.#table);
    const listing = collect(this.#ctx.store.list(root));
    listing.catch(() => undefined);
    const { prefix } = await this.#segments();
    const segments = await listSegments(this.#ctx.store, prefix, await listing);
    yield* readRows(this.#ctx.store, segments, this.#ctx.concurrency, this.#label);
  }

  async get(id: string): Promise<StoredRow | undefined> {
    for await (const row of this.entries()) if (row._row_id === id) return row;
    return undefined;
  }

  append(rows: readonly StoredRow[]): Promise<void> {
    if (rows.length === 0) return this.#segments().then(() => undefined);
    return this.#write({ kind: "append", rows });
  }

  update(row: StoredRow): Promise<void> {
    return this.#write({ kind: "update", row });
  }

  delete(id: string): Promise<void> {
    return this.#write({ kind: "delete", id });
  }

  async #write(change: RowChange): Promise<void> {
    this.#ctx.assertOpen();
    await this.#ctx.log(this.#project, this.#kind, this.#table).write(() => this.#segments(), change);
  }
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
