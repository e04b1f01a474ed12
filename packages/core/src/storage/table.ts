import type { StandardSchemaV1 } from "@standard-schema/spec";
import { ClosedError, InvalidConfigError, InvalidRowError, NotFoundError, TooLargeError } from "../errors.js";
import { ROW_ID, type Row, type SerializedRow, type StoredRow, copyJsonRow, isExactJsonRow, isRowId, newRowId, validateRowId } from "../rows.js";
import type { TableKind, TableStore, TableStoreImpl } from "./contract.js";
import { completeTableStore } from "./complete.js";

/**
 * Key of {@link Table}'s append without a copy: `table[appendOwned](rows)`. For core and for
 * packages built on core (exported from `@themis/core/backend`, e.g. for `@themis/pipeline`)
 * that append rows they built themselves: fresh objects that nobody else holds or changes
 * afterwards, `_row_id` first. A row that breaks this is copied and checked as `appendMany`
 * would; a table with a schema copies all. Ids repeated within one batch are not refused:
 * the caller keeps them unique. Users' rows always go through `appendMany` (a copy, so that
 * changing them after an append changes nothing).
 */
export const appendOwned: unique symbol = Symbol("themis.appendOwned");

/** Whether the row brings its own `_row_id` (an enumerable, defined one, as the copy sees it). */
function hasOwnId(value: unknown): boolean {
  return Object.prototype.propertyIsEnumerable.call(value, ROW_ID) && (value as Row)[ROW_ID] !== undefined;
}

function firstKey(row: object): string | undefined {
  for (const k in row) return k;
  return undefined;
}

/** A row core built that needs no copy: exactly JSON, with a valid `_row_id` first. */
function isOwnedRow(row: StoredRow): boolean {
  return firstKey(row) === ROW_ID && isExactJsonRow(row) && isRowId(row[ROW_ID]);
}

/** The ids of a batch in order; an id that appears twice (among rows with `given` ids) is refused. */
function batchIds<R>(rows: readonly R[], idOf: (row: R) => string, given: boolean[] | undefined): string[] {
  const seen = new Set<string>();
  const out = new Array<string>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const id = idOf(rows[i] as R);
    out[i] = id;
    if (given !== undefined && !given[i]) continue;
    if (seen.has(id)) throw new InvalidRowError(`${ROW_ID} "${id}" appears twice in one batch`, []);
    seen.add(id);
  }
  return out;
}

/** Options for opening or creating a table. */
export interface TableOptions<T extends Row = Row> {
  /** Validate every appended or updated row (zod, valibot, arktype: any Standard Schema). */
  schema?: StandardSchemaV1<unknown, T>;
  /**
   * Most rows {@link Table.load} may return. A larger table fails with TooLargeError
   * (`ERR_THEMIS_TOO_LARGE`) after reading at most this many rows, instead of exhausting
   * memory; stream it with {@link Table.entries}. Default: no limit.
   */
  maxLoadRows?: number;
}

/**
 * A dataset or experiment table. Rows are plain JSON objects; each gets a stable
 * `_row_id` (a UUID unless the row brings its own).
 */
export class Table<T extends Row = Row> implements AsyncIterable<StoredRow<T>> {
  readonly kind: TableKind;
  readonly name: string;
  readonly #store: TableStore;
  readonly #schema: StandardSchemaV1<unknown, T> | undefined;
  readonly #backend: string;
  readonly #isClosed: () => boolean;
  readonly #maxLoadRows: number;

  /** @internal Tables come from {@link Project} methods. */
  constructor(kind: TableKind, name: string, store: TableStoreImpl, backend: string, isClosed: () => boolean, options: TableOptions<T> = {}) {
    this.kind = kind;
    this.name = name;
    // A backend that left out `load` or `get` gets core's fallbacks (they read `entries()`).
    this.#store = completeTableStore(store);
    this.#backend = backend;
    this.#schema = options.schema;
    this.#isClosed = isClosed;
    this.#maxLoadRows = options.maxLoadRows ?? Infinity;
    if (!(this.#maxLoadRows >= 0)) {
      throw new InvalidConfigError(
        `invalid options of ${kind} "${name}"`,
        [{ path: "maxLoadRows", message: `expected a number >= 0, got ${String(options.maxLoadRows)}` }],
        { backend },
      );
    }
  }

  #alive(): void {
    if (this.#isClosed()) throw new ClosedError(`${this.kind} "${this.name}": its project is closed`, { backend: this.#backend });
  }

  /** Run the table's schema, if any (the only asynchronous step of preparing a row). */
  async #validate(input: unknown): Promise<unknown> {
    if (!this.#schema) return input;
    const result = await this.#schema["~standard"].validate(input);
    if (result.issues) {
      throw new InvalidRowError(
        `row does not match the schema of ${this.kind} "${this.name}"`,
        result.issues.map((i) => ({
          path: (i.path ?? []).map((p) => String(typeof p === "object" ? p.key : p)).join("."),
          message: i.message,
        })),
        { backend: this.#backend },
      );
    }
    return result.value;
  }

  /** A JSON copy of the row with its id first: the id given, its own `_row_id`, or a new one. */
  #toStored(value: unknown, id?: string): StoredRow<T> {
    // One copy, with the id's key in front from the start (its value is set below).
    const row = copyJsonRow(value, { [ROW_ID]: null });
    const given = hasOwnId(value);
    const ownId = given ? row[ROW_ID] : undefined;
    if (id !== undefined && ownId !== undefined && ownId !== id) {
      throw new InvalidRowError(`row ${ROW_ID} "${String(ownId)}" does not match the id being updated ("${id}")`, []);
    }
    if (id === undefined && ownId === undefined) {
      // A UUID: valid by construction, no pattern to check (nor, in appendMany, a duplicate).
      row[ROW_ID] = newRowId();
      return row as StoredRow<T>;
    }
    const rowId = id ?? ownId;
    validateRowId(rowId);
    row[ROW_ID] = rowId;
    return row as StoredRow<T>;
  }

  /** Append one row; returns its `_row_id`. */
  async append(row: T): Promise<string> {
    const [id] = await this.appendMany([row]);
    return id!;
  }

  /**
   * The row as JSON text for a store that takes serialised rows: a row that is exactly JSON
   * already is serialised as it is (no copy of it is kept), any other goes through the copy
   * (which drops `undefined` or lists the issues).
   */
  #serialize(value: unknown): SerializedRow {
    if (isExactJsonRow(value)) {
      const own = value[ROW_ID];
      let id: string;
      if (own === undefined) id = newRowId();
      else {
        validateRowId(own);
        id = own;
      }
      // The spread is shallow and short-lived: JSON.stringify reads the nested values now.
      // (Gluing the id to the row's own text instead makes a rope string, which made the
      // Redis writes slower than the spread costs.)
      return { id, json: JSON.stringify({ [ROW_ID]: id, ...value }) };
    }
    const stored = this.#toStored(value);
    return { id: stored._row_id, json: JSON.stringify(stored) };
  }

  /** Append rows as one batch (one write where the backend allows); returns their ids in order. */
  async appendMany(rows: Iterable<T>): Promise<string[]> {
    this.#alive();
    if (this.#store.appendSerialized) {
      const { prepared, given } = await this.#prepareAll(rows, (value) => this.#serialize(value));
      return this.#storeSerialized(prepared, given);
    }
    const { prepared, given } = await this.#prepareAll(rows, (value) => this.#toStored(value));
    return this.#appendPrepared(prepared, given);
  }

  /** Each row validated (with a schema) and prepared; `given`: which rows brought their own id (only those can repeat one: UUIDs do not). */
  async #prepareAll<R>(rows: Iterable<T>, prepare: (value: unknown) => R): Promise<{ prepared: R[]; given: boolean[] }> {
    const prepared: R[] = [];
    const given: boolean[] = [];
    for (const row of rows) {
      const value = this.#schema ? await this.#validate(row) : row;
      prepared.push(prepare(value));
      given.push(hasOwnId(value));
    }
    return { prepared, given };
  }

  /**
   * {@link appendMany} for rows core built itself (results, claims): fresh objects that
   * nobody else holds, with a valid `_row_id` first. Each is checked without a copy and
   * copied (which reports its issues exactly as appendMany does) only when the check fails.
   */
  async [appendOwned](rows: readonly StoredRow[]): Promise<string[]> {
    this.#alive();
    if (this.#schema) return this.appendMany(rows as unknown as T[]);
    if (this.#store.appendSerialized) {
      const serialized = new Array<SerializedRow>(rows.length);
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i] as StoredRow;
        serialized[i] = isOwnedRow(row) ? { id: row[ROW_ID], json: JSON.stringify(row) } : this.#serialize(row);
      }
      return this.#storeSerialized(serialized, undefined);
    }
    const prepared = new Array<StoredRow<T>>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as StoredRow;
      prepared[i] = isOwnedRow(row) ? (row as StoredRow<T>) : this.#toStored(row);
    }
    return this.#appendPrepared(prepared, undefined);
  }

  /** Refuse an id that appears twice in the batch (among rows with `given` ids), then store. */
  async #appendPrepared(prepared: StoredRow<T>[], given: boolean[] | undefined): Promise<string[]> {
    const ids = batchIds(prepared, (r) => r._row_id, given);
    if (prepared.length > 0) await this.#store.append(prepared);
    return ids;
  }

  /** {@link #appendPrepared} for a store that takes serialised rows. */
  async #storeSerialized(prepared: SerializedRow[], given: boolean[] | undefined): Promise<string[]> {
    const ids = batchIds(prepared, (r) => r.id, given);
    if (prepared.length > 0) await this.#store.appendSerialized!(prepared);
    return ids;
  }

  /**
   * Every row, in append order, in memory. With `maxLoadRows` the rows are streamed and a
   * larger table fails with TooLargeError before it exhausts memory: use {@link entries}.
   */
  async load(): Promise<StoredRow<T>[]> {
    this.#alive();
    if (this.#maxLoadRows === Infinity) return (await this.#store.load()) as StoredRow<T>[];
    const rows: StoredRow<T>[] = [];
    for await (const row of this.#store.entries()) {
      if (rows.length >= this.#maxLoadRows) {
        throw new TooLargeError(
          `${this.kind} "${this.name}" has more than ${this.#maxLoadRows} rows (maxLoadRows): stream it with entries() instead of load()`,
          { backend: this.#backend },
        );
      }
      rows.push(row as StoredRow<T>);
    }
    return rows;
  }

  /** Stream every row in append order, without holding the table in memory. */
  async *entries(): AsyncGenerator<StoredRow<T>> {
    this.#alive();
    for await (const row of this.#store.entries()) yield row as StoredRow<T>;
  }

  [Symbol.asyncIterator](): AsyncIterator<StoredRow<T>> {
    return this.entries();
  }

  /** The row with this id. NotFoundError when there is none. */
  async get(id: string): Promise<StoredRow<T>> {
    this.#alive();
    validateRowId(id);
    const row = await this.#store.get(id);
    if (!row) throw new NotFoundError(`${this.kind} "${this.name}" has no row with ${ROW_ID} "${id}"`, { backend: this.#backend });
    return row as StoredRow<T>;
  }

  /** Replace the row with this id (all its fields), keeping its place. NotFoundError when there is none. */
  async update(id: string, row: T): Promise<void> {
    this.#alive();
    validateRowId(id);
    await this.#store.update(this.#toStored(await this.#validate(row), id));
  }

  /** Delete the row with this id. NotFoundError when there is none. */
  async delete(id: string): Promise<void> {
    this.#alive();
    validateRowId(id);
    await this.#store.delete(id);
  }
}

/** A table of inputs (kind "dataset"). */
export type Dataset<T extends Row = Row> = Table<T>;
/** A table of results (kind "experiment"). */
export type Experiment<T extends Row = Row> = Table<T>;
