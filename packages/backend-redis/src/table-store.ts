import { randomUUID } from "node:crypto";
import { AlreadyExistsError, CorruptDataError, NotFoundError, type SerializedRow, type StoredRow, type TableKind, type TableStore } from "@themis/core";
import type { Cluster, Redis } from "ioredis";
import type { RedisContext } from "./context.js";
import { BACKEND_NAME } from "./errors.js";
import type { TableKeys } from "./keys.js";
import { results } from "./replies.js";
import { appendCheckScript, appendFewScript, appendFinishScript, deleteRowScript, updateScript } from "./scripts.js";

/** Rows per page while streaming with entries(). */
const STREAM_PAGE = 500;
/** Ids per HMGET and rows per HSET: big enough to amortize, small enough not to block Redis. */
const CHUNK = 1000;
/**
 * Batches up to this size go through Lua whole (one round trip, one command); larger ones
 * are written by native HSETs so that the JSON is not copied into Lua and back.
 */
const FEW_ROWS = 64;

type Client = Redis | Cluster;

/** One table: rows in a hash by id, their order in a sorted set (see keys.ts). */
export class RedisTable implements TableStore {
  readonly #ctx: RedisContext;
  readonly #project: string;
  readonly #kind: TableKind;
  readonly #name: string;
  readonly #keys: TableKeys;

  constructor(ctx: RedisContext, project: string, kind: TableKind, name: string) {
    this.#ctx = ctx;
    this.#project = project;
    this.#kind = kind;
    this.#name = name;
    this.#keys = ctx.keys.table(project, kind, name);
  }

  get #label(): string {
    return `${this.#kind} "${this.#name}" of project "${this.#project}"`;
  }

  #missingTable(): NotFoundError {
    return new NotFoundError(`${this.#label} does not exist (deleted?)`, { backend: BACKEND_NAME });
  }

  #parse(id: string, json: string): StoredRow {
    let row: unknown;
    try {
      row = JSON.parse(json);
    } catch (cause) {
      throw new CorruptDataError(`${this.#label}: row "${id}" in ${this.#keys.rows} is not valid JSON`, { backend: BACKEND_NAME, cause });
    }
    if (typeof row !== "object" || row === null || Array.isArray(row) || (row as StoredRow)._row_id !== id) {
      throw new CorruptDataError(`${this.#label}: row "${id}" in ${this.#keys.rows} is not a row object with that _row_id`, { backend: BACKEND_NAME });
    }
    return row as StoredRow;
  }

  /**
   * The rows of `ids`, in that order, read with pipelined HMGETs. An id whose row is gone
   * was deleted after the ids were read: it is skipped, as if read a moment later.
   */
  async #rowsOf(client: Client, ids: readonly string[]): Promise<StoredRow[]> {
    if (ids.length === 0) return [];
    const pipeline = client.pipeline();
    for (let i = 0; i < ids.length; i += CHUNK) pipeline.hmget(this.#keys.rows, ...ids.slice(i, i + CHUNK));
    const chunks = results(await pipeline.exec()) as (string | null)[][];
    const out: StoredRow[] = [];
    for (let c = 0; c < chunks.length; c++) {
      const chunk = chunks[c]!;
      for (let j = 0; j < chunk.length; j++) {
        const json = chunk[j];
        if (json !== null && json !== undefined) out.push(this.#parse(ids[c * CHUNK + j]!, json));
      }
    }
    return out;
  }

  async load(): Promise<StoredRow[]> {
    const { index, order } = this.#keys;
    return this.#ctx.run(`reading ${this.#label}`, async (client) => {
      // The table's existence and its ids in one atomic step, then the rows.
      const [exists, ids] = results(await client.multi().sismember(index, this.#name).zrange(order, "0", "-1").exec()) as [number, string[]];
      if (!exists) throw this.#missingTable();
      return this.#rowsOf(client, ids);
    });
  }

  async *entries(): AsyncIterable<StoredRow> {
    const { index, order } = this.#keys;
    // Pages by sequence number, not by rank: rows deleted or appended meanwhile never make
    // the stream skip or repeat a row.
    let after = "-inf";
    for (;;) {
      const page = await this.#ctx.run(`reading ${this.#label}`, async (client) => {
        const [exists, idsAndScores] = results(
          await client.multi().sismember(index, this.#name).zrangebyscore(order, after, "+inf", "WITHSCORES", "LIMIT", 0, STREAM_PAGE).exec(),
        ) as [number, string[]];
        if (!exists) throw this.#missingTable();
        const ids: string[] = [];
        for (let i = 0; i < idsAndScores.length; i += 2) ids.push(idsAndScores[i]!);
        return { rows: await this.#rowsOf(client, ids), count: ids.length, last: idsAndScores[idsAndScores.length - 1] };
      });
      yield* page.rows;
      if (page.count < STREAM_PAGE) return;
      after = `(${page.last}`;
    }
  }

  async get(id: string): Promise<StoredRow | undefined> {
    const json = await this.#ctx.run(`reading ${this.#label}`, (client) => client.hget(this.#keys.rows, id));
    return json === null ? undefined : this.#parse(id, json);
  }

  #taken(id: unknown): AlreadyExistsError {
    return new AlreadyExistsError(`${this.#label} already has a row with _row_id "${String(id)}"; nothing of the batch was stored`, { backend: BACKEND_NAME });
  }

  append(rows: readonly StoredRow[]): Promise<void> {
    return this.appendSerialized(rows.map((row) => ({ id: row._row_id, json: JSON.stringify(row) })));
  }

  /** Rows are stored as the JSON text core made of them: no second serialisation, no copy of the batch as objects. */
  async appendSerialized(rows: readonly SerializedRow[]): Promise<void> {
    if (rows.length === 0) return;
    // One operation id for every delivery of this append (see scripts.ts): a re-sent or
    // retried delivery of an append that happened answers "ok" and writes nothing.
    const op = randomUUID();
    const now = Date.now();
    const status = rows.length <= FEW_ROWS ? await this.#appendFew(rows, op, now) : await this.#appendMany(rows, op, now);
    if (status[0] === "missing_table") throw this.#missingTable();
    if (status[0] === "exists") throw this.#taken(status[1]);
  }

  /** A few rows: the whole append in one EVALSHA. */
  #appendFew(rows: readonly SerializedRow[], op: string, now: number): Promise<unknown[]> {
    const { index, rows: rowsKey, order, seq, ops } = this.#keys;
    const args: (string | number)[] = [this.#name, op, now];
    for (const row of rows) args.push(row.id, row.json);
    return this.#ctx.script(`appending to ${this.#label}`, appendFewScript, [index, rowsKey, order, seq, ops], args);
  }

  /**
   * Many rows, in one MULTI: the check (which also orders the ids), the rows by native HSET,
   * then the script that, when the check refused the batch, takes back what the HSETs wrote.
   * EVAL rather than EVALSHA: inside MULTI a NOSCRIPT could not be recovered from. The
   * arguments of each command are built once, in place (no slices or spreads of the batch).
   */
  async #appendMany(rows: readonly SerializedRow[], op: string, now: number): Promise<unknown[]> {
    const { index, rows: rowsKey, order, seq, ops, stash, verdict } = this.#keys;
    const head = [appendCheckScript.source, "7", index, rowsKey, order, seq, ops, stash, verdict, this.#name, op, now];
    // Sized once: the ids go in place below, no growth of a 10,000-entry array by push.
    const check: (string | number)[] = new Array(head.length + rows.length);
    for (let i = 0; i < head.length; i++) check[i] = head[i]!;
    const sets: string[][] = [];
    for (let first = 0; first < rows.length; first += CHUNK) {
      const last = Math.min(first + CHUNK, rows.length);
      const args: string[] = new Array(1 + 2 * (last - first));
      args[0] = rowsKey;
      for (let i = first, at = 1; i < last; i++, at += 2) {
        const row = rows[i]!;
        check[head.length + i] = row.id;
        args[at] = row.id;
        args[at + 1] = row.json;
      }
      sets.push(args);
    }
    const replies = await this.#ctx.run(`appending to ${this.#label}`, async (client) => {
      const tx = client.multi();
      tx.call("eval", check);
      for (const args of sets) tx.call("hset", args);
      tx.call("eval", [appendFinishScript.source, "3", rowsKey, stash, verdict]);
      return results(await tx.exec());
    });
    return replies[replies.length - 1] as unknown[];
  }

  async update(row: StoredRow): Promise<void> {
    // One operation id for every delivery of this update (see scripts.ts).
    const op = randomUUID();
    const { index, rows, ops } = this.#keys;
    const reply = await this.#ctx.script(
      `updating ${this.#label}`,
      updateScript,
      [index, rows, ops],
      [this.#name, row._row_id, JSON.stringify(row), op, Date.now()],
    );
    if (reply[0] === "missing_table") throw this.#missingTable();
    if (reply[0] === "missing_row") throw new NotFoundError(`${this.#label} has no row with _row_id "${row._row_id}"`, { backend: BACKEND_NAME });
  }

  async delete(id: string): Promise<void> {
    const op = randomUUID();
    const { index, rows, order, ops } = this.#keys;
    const reply = await this.#ctx.script(`deleting from ${this.#label}`, deleteRowScript, [index, rows, order, ops], [this.#name, id, op, Date.now()]);
    if (reply[0] === "missing_table") throw this.#missingTable();
    if (reply[0] === "missing_row") throw new NotFoundError(`${this.#label} has no row with _row_id "${id}"`, { backend: BACKEND_NAME });
  }
}
