import type { Op } from "./segment-format.js";
import { IdSet } from "@themis/core/backend";

/** Rows by id in table order, as stored lines. Map keeps insertion order; `set` on a present key keeps its place. */
export type RowLines = Map<string, string>;

/**
 * Tables up to this many rows keep their row lines in memory (about 40 MB of rows of ~190
 * bytes): `get` and `load` answer from memory, duplicate checks are exact without a read.
 * Above it only the ids are kept, as fingerprints (see id-set.ts).
 */
export const LINE_CACHE_ROWS = 100_000;

/**
 * What a writer keeps of a table folded up to segment `lastSeq` of incarnation `tableId`:
 * the row lines while the table is small, then only the ids (as fingerprints). Applying ops here is the
 * one definition of what a segment does to a table:
 * - append: add the row at the end; nothing when its id exists (writers refuse such appends
 *   with ALREADY_EXISTS before writing, so this only makes the first stored row win);
 * - update: replace the row in place; delete: remove the row.
 */
export class TableState {
  readonly tableId: string;
  lastSeq: number;
  /** performance.now() when the request that showed `lastSeq` to be the last segment was sent. */
  seenAt = -Infinity;
  /** The rows, in table order, until the table outgrows {@link LINE_CACHE_ROWS}. */
  lines: RowLines | undefined = new Map();
  /** The ids once the lines are dropped. */
  #ids: IdSet | undefined;
  readonly #cacheRows: number;

  constructor(tableId: string, lastSeq: number, cacheRows = LINE_CACHE_ROWS) {
    this.tableId = tableId;
    this.lastSeq = lastSeq;
    this.#cacheRows = cacheRows;
  }

  /** A row of the base, in order. */
  addBaseRow(id: string, line: string): void {
    if (this.lines) {
      this.lines.set(id, line);
      this.#bound();
    } else this.#ids!.add(id);
  }

  apply(ops: readonly Op[]): void {
    const lines = this.lines;
    if (!lines) {
      const ids = this.#ids!;
      for (const op of ops) {
        if (op.type === "append") ids.add(op.id);
        else if (op.type === "delete") ids.delete(op.id);
      }
      return;
    }
    for (const op of ops) {
      if (op.type === "append") {
        if (!lines.has(op.id)) lines.set(op.id, op.line);
      } else if (op.type === "update") {
        if (lines.has(op.id)) lines.set(op.id, op.line);
      } else lines.delete(op.id);
    }
    this.#bound();
  }

  /** Past the cache: keep the ids only. */
  #bound(): void {
    if (!this.lines || this.lines.size <= this.#cacheRows) return;
    const ids = new IdSet();
    for (const id of this.lines.keys()) ids.add(id);
    this.#ids = ids;
    this.lines = undefined;
  }

  /** Whether a row has this id: exact while the lines are kept, else "maybe" for a stored fingerprint. */
  has(id: string): "yes" | "no" | "maybe" {
    if (this.lines) return this.lines.has(id) ? "yes" : "no";
    return this.#ids!.has(id);
  }
}

/**
 * The updates and deletes of a table's uncompacted segments ("tail"), by id, with their
 * position in the tail: all a streamed fold of base + tail has to hold in memory (appends
 * are streamed through). Same result as {@link TableState.apply} over base + tail.
 */
export class TailMutations {
  readonly #byId = new Map<string, { index: number; op: Op }[]>();

  /** Note op number `index` of the tail (appends are ignored). */
  record(index: number, op: Op): void {
    if (op.type === "append") return;
    let list = this.#byId.get(op.id);
    if (!list) {
      list = [];
      this.#byId.set(op.id, list);
    }
    list.push({ index, op });
  }

  /** True when the tail updates or deletes this id. */
  touches(id: string): boolean {
    return this.#byId.has(id);
  }

  get size(): number {
    return this.#byId.size;
  }

  /** The line a base row ends with at its place, or undefined when the tail deletes it (a later append puts it in the tail). */
  baseOutcome(id: string, baseLine: string): string | undefined {
    let line = baseLine;
    for (const { op } of this.#byId.get(id) ?? []) {
      if (op.type === "delete") return undefined;
      line = op.line;
    }
    return line;
  }

  /** The line an append (op number `index`, of an absent id) ends with, or undefined when a later delete removes it. */
  appendOutcome(id: string, index: number, appended: string): string | undefined {
    let line = appended;
    for (const { index: at, op } of this.#byId.get(id) ?? []) {
      if (at <= index) continue;
      if (op.type === "delete") return undefined;
      line = op.line;
    }
    return line;
  }
}
