import { type Experiment, type Project, type Row, type Table, hasErrorCode } from "@themis/core";
import { appendOwned } from "@themis/core/backend";
import type { ResultEntry, StoredResult } from "./cache.js";
import { hashOf } from "./hash.js";
import { PACKED, TASK, type Task, entryLine, packLines, unpackCell } from "./index-codec.js";

/*
 * A stage's index: one compact row per result (no output, no run bookkeeping), written right
 * after the result itself. A cached run reads it instead of the results, whose output JSON is
 * most of the bytes and of the parsing; outputs are read only when a downstream row must run.
 *
 * Two internal tables per stage experiment:
 * - `__pipeline_index.<experiment>`: one meta row: the current generation, and the `_row_id`
 *   of the results table's first row when that generation was started (an experiment deleted
 *   and made again has other results: its index is then rebuilt);
 * - `__pipeline_index.<experiment>.<generation>`: the entries, a thousand to a row (`e-<id>`
 *   rows, see index-codec.ts; indexes written before that hold one `<result id>` row per
 *   entry, still read), and `t-<id>` rows for the (code hash, parameters hash, pipeline run)
 *   triples entries name (the same for every row a run computes: written once, not once per
 *   row). Entries are read in append order and the last one of a result id wins, so a
 *   result done again under the same key (it failed before) is indexed by an append.
 * Rebuilding starts a new generation table: storage has no cheap "truncate", and the old
 * generation is never read again.
 */

/** An index entry as indexes before packing stored it: dataset_row_id, status, cache_key, input_hash, task triple id. */
interface EntryRow extends Row {
  _row_id: string;
  d: string;
  s: "ok" | "error";
  k: string;
  i: string;
  t: string;
}

interface TaskRow extends Row {
  _row_id: string;
  c: string;
  p: string;
  run: string;
}

interface MetaRow extends Row {
  _row_id: typeof META;
  g: number;
  first: string | null;
}

/** Entries packed in one cell (see index-codec.ts). */
interface PackedRow extends Row {
  _row_id: string;
  e: string;
}

type IndexRow = EntryRow | TaskRow | PackedRow;

const META = "meta";

/** The meta table of a stage experiment's index (an internal table of the project). */
export function indexTableName(experiment: string): string {
  return `__pipeline_index.${experiment}`;
}

const isString = (v: unknown): v is string => typeof v === "string";

/** An entry row as a result entry, or undefined when it is not well formed. */
function entryOf(row: Partial<EntryRow>, tasks: ReadonlyMap<string, Task>): ResultEntry | undefined {
  const task = isString(row.t) ? tasks.get(row.t) : undefined;
  if (task === undefined || !isString(row._row_id) || !isString(row.d) || (row.s !== "ok" && row.s !== "error") || !isString(row.k) || !isString(row.i))
    return undefined;
  return {
    _row_id: row._row_id,
    dataset_row_id: row.d,
    status: row.s,
    cache_key: row.k,
    input_hash: row.i,
    code_hash: task.code_hash,
    params_hash: task.params_hash,
    pipeline_run: task.pipeline_run,
  };
}

/** The `_row_id` of a table's first row, reading nothing more (null: the table is empty). */
export async function firstRowId(table: Experiment<StoredResult>): Promise<string | null> {
  for await (const row of table.entries()) return row._row_id;
  return null;
}

function ignoreExisting(error: unknown): void {
  if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
}

/** What reading an index found: its entries in append order, or why it cannot be trusted. */
export type IndexRead = { ok: true; entries: ResultEntry[] } | { ok: false; reason: "missing" | "stale" | "corrupt" };

/** Writes and reads one stage's index. */
export class StageIndex {
  readonly #project: Project;
  readonly #name: string;
  readonly #meta: Table<MetaRow>;
  #entries: Promise<Table<IndexRow>> | undefined;
  #generation = 0;
  #first: string | null = null;
  #hasMeta = false;
  /** Task triple rows known to be in the current generation's table. */
  #tasks = new Set<string>();
  #lastTask: (Task & { id: string }) | undefined;

  private constructor(project: Project, experiment: string, meta: Table) {
    this.#project = project;
    this.#name = indexTableName(experiment);
    this.#meta = meta as Table<MetaRow>;
  }

  /** The index of a stage's experiment (its meta table is created when missing). */
  static async open(project: Project, experiment: string): Promise<StageIndex> {
    return new StageIndex(project, experiment, await project.internalTable("experiment", indexTableName(experiment)));
  }

  /** The current generation's table, created when missing. */
  #table(): Promise<Table<IndexRow>> {
    this.#entries ??= this.#project.internalTable("experiment", `${this.#name}.${this.#generation}`) as Promise<Table<IndexRow>>;
    return this.#entries;
  }

  /**
   * The current generation's entries, when the index describes `results` (checked against
   * the results' first row).
   */
  async read(results: Experiment<StoredResult>): Promise<IndexRead> {
    for await (const meta of this.#meta.entries() as AsyncIterable<Partial<MetaRow>>) {
      if (meta._row_id !== META) continue;
      if (typeof meta.g !== "number" || !Number.isInteger(meta.g) || !(meta.first === null || isString(meta.first))) return { ok: false, reason: "corrupt" };
      [this.#hasMeta, this.#generation, this.#first] = [true, meta.g, meta.first];
    }
    if (!this.#hasMeta) return { ok: false, reason: "missing" };
    if (this.#first !== (await firstRowId(results))) return { ok: false, reason: "stale" };
    // One load, not a stream: the index is small, and streaming costs several async hops per row.
    const rows = await (await this.#table()).load();
    const tasks = new Map<string, Task>();
    for (const row of rows) {
      if (!row._row_id.startsWith(TASK)) continue;
      const t = row as Partial<TaskRow>;
      if (!isString(t.c) || !isString(t.p) || !isString(t.run)) return { ok: false, reason: "corrupt" };
      tasks.set(row._row_id, { code_hash: t.c, params_hash: t.p, pipeline_run: t.run });
      this.#tasks.add(row._row_id);
    }
    const entries: ResultEntry[] = [];
    for (const row of rows) {
      const id = row._row_id;
      if (id.startsWith(TASK)) continue;
      if (id.startsWith(PACKED)) {
        if (!unpackCell(row.e, tasks, entries)) return { ok: false, reason: "corrupt" };
        continue;
      }
      const entry = entryOf(row as Partial<EntryRow>, tasks);
      if (entry === undefined) return { ok: false, reason: "corrupt" };
      entries.push(entry);
    }
    return { ok: true, entries };
  }

  /** Start a new generation describing `entries` (the results as read from the results table). */
  async rebuild(results: Experiment<StoredResult>, entries: Iterable<ResultEntry>): Promise<void> {
    // The meta row first: a crash before the entries are all written leaves rows missing
    // from the index (they run again), never an index describing other results.
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
    if (this.#hasMeta) await this.#meta.update(META, meta);
    else {
      await this.#meta.append(meta).catch(async (error: unknown) => {
        // Another runner of the pipeline made it since: both describe the same results.
        if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
        await this.#meta.update(META, meta);
      });
    }
    if (g !== this.#generation) [this.#entries, this.#tasks] = [undefined, new Set()];
    [this.#hasMeta, this.#generation, this.#first] = [true, g, first];
  }

  /** The id of an entry's task triple; its row goes in `out` the first time. */
  #task(e: ResultEntry, out: IndexRow[]): string {
    // A run's rows share one triple: no sha256 per row.
    const last = this.#lastTask;
    if (
      last !== undefined &&
      last.code_hash === e.code_hash &&
      last.params_hash === e.params_hash &&
      last.pipeline_run === e.pipeline_run &&
      this.#tasks.has(last.id)
    )
      return last.id;
    const id = `${TASK}${hashOf(e.code_hash, e.params_hash, e.pipeline_run)}`;
    this.#lastTask = { id, code_hash: e.code_hash, params_hash: e.params_hash, pipeline_run: e.pipeline_run };
    if (!this.#tasks.has(id)) {
      this.#tasks.add(id);
      out.push({ _row_id: id, c: e.code_hash, p: e.params_hash, run: e.pipeline_run });
    }
    return id;
  }

  /** Rows indexing `entries`: new task triple rows, then the entries packed. */
  #rows(entries: readonly ResultEntry[]): IndexRow[] {
    const rows: IndexRow[] = [];
    const lines: string[] = [];
    for (const e of entries) lines.push(entryLine(e, this.#task(e, rows)));
    // The id hashes the cell: the same entries indexed twice (a retry) are refused as existing.
    for (const cell of packLines(lines)) rows.push({ _row_id: `${PACKED}${hashOf(cell)}`, e: cell });
    return rows;
  }

  /**
   * Index results just stored in `results`. The first time results are indexed, the
   * results table's first row is recorded, so that the check of {@link read} holds.
   */
  async append(entries: readonly ResultEntry[], results?: Experiment<StoredResult>): Promise<void> {
    if (entries.length === 0) return;
    if (!this.#hasMeta || (this.#first === null && results !== undefined))
      await this.#setMeta(Math.max(this.#generation, 1), results ? await firstRowId(results) : null);
    const table = await this.#table();
    const rows = this.#rows(entries);
    try {
      // Rows built just above, id first: no copy needed.
      await table[appendOwned](rows);
    } catch (error) {
      if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
      // Some are indexed already (a crash after the index write, another runner): the others one by one.
      for (const row of rows) await table.append(row).catch(ignoreExisting);
    }
  }

  /**
   * Re-index a result replaced in place (a row that failed before, done again under the
   * same key): appended, it is read after the entry it replaces, and the last one wins.
   */
  async update(entry: ResultEntry): Promise<void> {
    await this.append([entry]);
  }
}
