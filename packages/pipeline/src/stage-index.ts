import { type Experiment, type Project, type Row, type Table, hasErrorCode } from "@themis/core";
import type { ResultEntry, StoredResult } from "./cache.js";

/**
 * A stage's index: one compact row per result (no output, no run bookkeeping), written
 * right after the result itself. A cached run reads it instead of the results, whose output
 * JSON is most of the bytes and of the parsing; outputs are read only when a downstream row
 * must run.
 *
 * Rows are `g<generation>-<result id>`; a meta row holds the current generation and the id
 * of the results table's first row. Entries of older generations are ignored, so rebuilding
 * an index is appending a new generation (storage has no cheap "truncate").
 */
interface IndexRow extends Row {
  _row_id: string;
  g: number;
  /** The result's `_row_id`. */
  r: string;
  d: string;
  s: "ok" | "error";
  k: string;
  i: string;
  c: string;
  p: string;
  run: string;
}

interface MetaRow extends Row {
  _row_id: typeof META;
  g: number;
  /** `_row_id` of the results table's first row when the index was built (null: it was empty). */
  first: string | null;
}

const META = "meta";

/** The index table of a stage's experiment (an internal table of the project). */
export function indexTableName(experiment: string): string {
  return `__pipeline_index.${experiment}`;
}

const isString = (v: unknown): v is string => typeof v === "string";

/** An index row as a result entry, or undefined when it is not a well-formed index row. */
function entryOf(row: Partial<IndexRow>): ResultEntry | undefined {
  if (!isString(row.r) || !isString(row.d) || (row.s !== "ok" && row.s !== "error") || !isString(row.k) || !isString(row.i) || !isString(row.c) || !isString(row.p) || !isString(row.run)) return undefined;
  return { _row_id: row.r, dataset_row_id: row.d, status: row.s, cache_key: row.k, input_hash: row.i, code_hash: row.c, params_hash: row.p, pipeline_run: row.run };
}

/** The `_row_id` of a table's first row, reading nothing more (null: the table is empty). */
export async function firstRowId(table: Experiment<StoredResult>): Promise<string | null> {
  for await (const row of table.entries()) return row._row_id;
  return null;
}

/** What reading an index found: its entries in append order, or why it cannot be trusted. */
export type IndexRead = { ok: true; entries: ResultEntry[] } | { ok: false; reason: "missing" | "stale" | "corrupt" };

/** Writes and reads one stage's index. */
export class StageIndex {
  readonly #table: Table<IndexRow | MetaRow>;
  #generation = 0;
  #first: string | null = null;
  #hasMeta = false;

  private constructor(table: Table) {
    this.#table = table as Table<IndexRow | MetaRow>;
  }

  /** The index of a stage's experiment (its table is created when missing). */
  static async open(project: Project, experiment: string): Promise<StageIndex> {
    return new StageIndex(await project.internalTable("experiment", indexTableName(experiment)));
  }

  /**
   * The current generation's entries, when the index describes `results` (checked against
   * the results' first row: an experiment deleted and made again is not described by it).
   */
  async read(results: Experiment<StoredResult>): Promise<IndexRead> {
    const rows: Partial<IndexRow>[] = [];
    let corrupt = false;
    for await (const row of this.#table.entries()) {
      if (row._row_id === META) {
        const meta = row as Partial<MetaRow>;
        if (typeof meta.g !== "number" || !(meta.first === null || isString(meta.first))) corrupt = true;
        else [this.#hasMeta, this.#generation, this.#first] = [true, meta.g, meta.first];
      } else rows.push(row as Partial<IndexRow>);
    }
    if (corrupt) return { ok: false, reason: "corrupt" };
    if (!this.#hasMeta) return { ok: false, reason: "missing" };
    if (this.#first !== (await firstRowId(results))) return { ok: false, reason: "stale" };
    const entries: ResultEntry[] = [];
    for (const row of rows) {
      if (row.g !== this.#generation) continue;
      const entry = entryOf(row);
      if (entry === undefined) return { ok: false, reason: "corrupt" };
      entries.push(entry);
    }
    return { ok: true, entries };
  }

  /** Start a new generation describing `entries` (the results as read from the results table). */
  async rebuild(results: Experiment<StoredResult>, entries: Iterable<ResultEntry>): Promise<void> {
    // The meta row first: a crash before the entries are all written leaves rows missing
    // from the index (they run again), never entries of the old generation taken as current.
    await this.#setMeta(this.#generation + 1, await firstRowId(results));
    const batch: ResultEntry[] = [];
    for (const e of entries) {
      batch.push(e);
      if (batch.length >= 5000) await this.append(batch.splice(0));
    }
    await this.append(batch);
  }

  async #setMeta(g: number, first: string | null): Promise<void> {
    const meta: MetaRow = { _row_id: META, g, first };
    if (this.#hasMeta) await this.#table.update(META, meta);
    else {
      await this.#table.append(meta).catch(async (error: unknown) => {
        // Another runner of the pipeline made it since: both describe the same results.
        if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
        await this.#table.update(META, meta);
      });
    }
    [this.#hasMeta, this.#generation, this.#first] = [true, g, first];
  }

  #row(e: ResultEntry): IndexRow {
    const g = this.#generation;
    return { _row_id: `g${g}-${e._row_id}`, g, r: e._row_id, d: e.dataset_row_id, s: e.status, k: e.cache_key, i: e.input_hash, c: e.code_hash, p: e.params_hash, run: e.pipeline_run };
  }

  /**
   * Index results just stored (appended to the results table). When the results table was
   * empty at build time, its first row is recorded now, so that the check of {@link read} holds.
   */
  async append(entries: readonly ResultEntry[], results?: Experiment<StoredResult>): Promise<void> {
    if (entries.length === 0) return;
    if (!this.#hasMeta || (this.#first === null && results !== undefined)) await this.#setMeta(this.#generation || 1, results ? await firstRowId(results) : null);
    const rows = entries.map((e) => this.#row(e));
    try {
      await this.#table.appendMany(rows);
    } catch (error) {
      if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
      // Some are indexed already (a crash after the index write, another runner): the others one by one.
      for (const row of rows) await this.#table.append(row).catch(ignoreExisting);
    }
  }

  /** Re-index a result replaced in place (a row that failed before, done again under the same key). */
  async update(entry: ResultEntry): Promise<void> {
    const row = this.#row(entry);
    await this.#table.update(row._row_id, row).catch(async (error: unknown) => {
      if (!hasErrorCode(error, "ERR_THEMIS_NOT_FOUND")) throw error;
      await this.append([entry]);
    });
  }
}

function ignoreExisting(error: unknown): void {
  if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
}
