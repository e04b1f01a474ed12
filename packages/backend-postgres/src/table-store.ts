import Cursor from "pg-cursor";
import { AlreadyExistsError, NotFoundError, type StoredRow, type TableKind, type TableStore } from "@themis/core";
import type { PostgresContext } from "./context.js";
import { BACKEND_NAME, isSqlState, toThemisError, UNIQUE_VIOLATION } from "./errors.js";
import { parseRow } from "./rows.js";

interface Found {
  id: string;
  row_id: string | null;
  json: string | null;
}

/**
 * One table, addressed by (project, kind, name) on every call: a handle to a deleted table
 * finds nothing (NotFoundError), and one to a table created again acts on the new one.
 * Every operation is one SQL statement, so each is atomic without an explicit transaction.
 */
export class PostgresTable implements TableStore {
  readonly #ctx: PostgresContext;
  readonly #key: [string, TableKind, string];
  readonly #where: string;

  constructor(ctx: PostgresContext, project: string, kind: TableKind, name: string) {
    this.#ctx = ctx;
    this.#key = [project, kind, name];
    this.#where = `${kind} "${name}" of project "${project}"`;
  }

  #missing(): NotFoundError {
    return new NotFoundError(`${this.#where} does not exist (deleted?)`, { backend: BACKEND_NAME });
  }

  // The table's row joined to its rows: no result at all means no table; a NULL row means an empty one.
  #selectRows(extra = ""): string {
    const n = this.#ctx.names;
    return `SELECT t.id, r.row_id, r.json FROM ${n.tables} t LEFT JOIN ${n.rows} r ON r.table_id = t.id ${extra}
      WHERE t.project = $1 AND t.kind = $2 AND t.name = $3 ORDER BY r.seq`;
  }

  #rowsOf(found: Found[]): StoredRow[] {
    if (found.length === 0) throw this.#missing();
    return found.filter((f) => f.json !== null).map((f) => parseRow(f.json!, f.row_id!, this.#where));
  }

  async load(): Promise<StoredRow[]> {
    // The hot path: no join and rows as arrays (cheaper to build than objects); only an
    // empty answer needs a second look, to tell an empty table from a missing one.
    const what = `load ${this.#where}`;
    const sql = `SELECT row_id, json FROM ${this.#ctx.names.rows} WHERE table_id = (${this.#idOf()}) ORDER BY seq`;
    const result = await this.#ctx.read<[string, string]>(what, { text: sql, values: this.#key, rowMode: "array" });
    if (result.rows.length === 0 && (await this.#ctx.read(what, this.#idOf(), this.#key)).rowCount === 0) throw this.#missing();
    return result.rows.map(([rowId, json]) => parseRow(json, rowId, this.#where));
  }

  async *entries(): AsyncIterable<StoredRow> {
    this.#ctx.assertOpen();
    const client = await this.#ctx.pool.connect().catch((error: unknown) => {
      throw toThemisError(error, `read ${this.#where}`);
    });
    const cursor = client.query(new Cursor<Found>(this.#selectRows(), this.#key));
    let broken: Error | undefined;
    try {
      let first = true;
      for (;;) {
        const batch = await cursor.read(this.#ctx.batchSize).catch((error: unknown) => {
          broken = error as Error;
          throw toThemisError(error, `read ${this.#where}`);
        });
        if (first && batch.length === 0) throw this.#missing();
        first = false;
        if (batch.length === 0) return;
        for (const row of this.#rowsOf(batch)) yield row;
      }
    } finally {
      if (!broken) await cursor.close().catch((error: unknown) => (broken = error as Error));
      // A connection whose cursor failed is destroyed rather than handed to the next caller.
      client.release(broken);
    }
  }

  async get(id: string): Promise<StoredRow | undefined> {
    const result = await this.#ctx.read<Found>(`get a row of ${this.#where}`, this.#selectRows("AND r.row_id = $4"), [...this.#key, id]);
    return this.#rowsOf(result.rows)[0];
  }

  async append(rows: readonly StoredRow[]): Promise<void> {
    if (rows.length === 0) {
      await this.load();
      return;
    }
    const n = this.#ctx.names;
    // One multi-row INSERT from two arrays: atomic (all rows or none), and rows take their
    // `seq` in batch order. The primary key (table_id, row_id) makes a duplicate id, from
    // this batch or from another writer, fail the whole statement.
    const sql = `INSERT INTO ${n.rows} (table_id, row_id, json)
      SELECT t.id, r.row_id, r.json FROM ${n.tables} t, unnest($4::text[], $5::text[]) WITH ORDINALITY AS r(row_id, json, ord)
      WHERE t.project = $1 AND t.kind = $2 AND t.name = $3 ORDER BY r.ord`;
    const values = [...this.#key, rows.map((r) => r._row_id), rows.map((r) => JSON.stringify(r))];
    try {
      const result = await this.#ctx.query(`append to ${this.#where}`, sql, values);
      if (result.rowCount === 0) throw this.#missing();
    } catch (error) {
      if (isSqlState((error as { cause?: unknown }).cause, UNIQUE_VIOLATION)) {
        throw new AlreadyExistsError(`a row of this batch has a _row_id already in ${this.#where}; nothing of the batch was stored`, {
          backend: BACKEND_NAME,
          cause: (error as Error).cause,
        });
      }
      throw error;
    }
  }

  async update(row: StoredRow): Promise<void> {
    // A single UPDATE takes the row's lock: concurrent updates apply one after the other, never lost halfway.
    await this.#changeOne(`update`, `UPDATE ${this.#ctx.names.rows} SET json = $5 WHERE row_id = $4 AND table_id = (${this.#idOf()})`, [
      row._row_id,
      JSON.stringify(row),
    ]);
  }

  async delete(id: string): Promise<void> {
    await this.#changeOne(`delete`, `DELETE FROM ${this.#ctx.names.rows} WHERE row_id = $4 AND table_id = (${this.#idOf()})`, [id]);
  }

  #idOf(): string {
    return `SELECT id FROM ${this.#ctx.names.tables} WHERE project = $1 AND kind = $2 AND name = $3`;
  }

  async #changeOne(verb: string, sql: string, extra: string[]): Promise<void> {
    const id = extra[0]!;
    const result = await this.#ctx.query(`${verb} row "${id}" of ${this.#where}`, sql, [...this.#key, ...extra]);
    if (result.rowCount !== 0) return;
    const table = await this.#ctx.read(`${verb} row "${id}" of ${this.#where}`, this.#idOf(), this.#key);
    if (table.rowCount === 0) throw this.#missing();
    throw new NotFoundError(`no row with id "${id}" in ${this.#where}`, { backend: BACKEND_NAME });
  }
}
