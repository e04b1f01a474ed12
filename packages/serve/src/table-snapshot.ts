import { ROW_ID, type StoredRow } from "@themis/core";
import { valueText } from "./value-text.js";

/** Separates values in {@link Snapshot.text}; a filter holding it takes the streaming path. */
export const VALUE_SEPARATOR = "\u0000";
// Estimated per row, on top of its text: the object, array slots, string headers; per key: a property.
const ROW_OVERHEAD = 64;
const KEY_OVERHEAD = 16;

let generations = 0;

/**
 * A table held in memory in a query-ready form, in table order: its rows (as the storage
 * gave them; never changed) and each row's values as one lower-cased text (what a filter
 * searches). A filter is then a scan of strings, a sort a read of one field, a page an
 * array slice: no pass through the storage backend. Filled as the table is read: the first rows can be shown before
 * the last are read ({@link reached}).
 */
export class Snapshot {
  /** Tells snapshots apart (a new one after each refresh of a table). */
  readonly generation = ++generations;
  readonly rows: StoredRow[] = [];
  /** Lower-cased values joined by NUL: a filter without NUL is in a value iff it is in this. */
  readonly text: string[] = [];
  /** Estimated memory held, in bytes: twice the text (the values' characters, at two bytes each: the worst case) plus overheads. */
  bytes = 0;
  /** Every row is in (the read ended). */
  complete = false;
  readonly #maxColumns: number;
  readonly #columns = new Set<string>([ROW_ID]);
  #waiters: { rows: number; resolve: () => void }[] = [];

  constructor(maxColumns: number) {
    this.#maxColumns = maxColumns;
  }

  /** Every key seen so far, `_row_id` first. */
  get columns(): string[] {
    return [...this.#columns].slice(0, this.#maxColumns);
  }

  add(row: StoredRow): void {
    const values = Object.values(row);
    // join() gives one flat string: a concatenated one would be flattened on every scan.
    const text = values.map(valueText).join(VALUE_SEPARATOR).toLowerCase();
    this.rows.push(row);
    this.text.push(text);
    // The row holds about as many characters as its text, and the text itself as many.
    this.bytes += 4 * text.length + ROW_OVERHEAD + KEY_OVERHEAD * values.length;
    if (this.#columns.size < this.#maxColumns) for (const key of Object.keys(row)) this.#columns.add(key);
    if (this.#waiters.length > 0) this.#wake(false);
  }

  /** The read ended (`complete`: every row is in; otherwise it stopped or failed). */
  end(complete: boolean): void {
    this.complete = complete;
    this.#wake(true);
  }

  /** Resolves once `rows` rows are in, or the read ended (whatever the count then). */
  reached(rows: number): Promise<void> {
    if (this.rows.length >= rows || this.complete) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ rows, resolve }));
  }

  #wake(all: boolean): void {
    const n = this.rows.length;
    const waiting = this.#waiters;
    this.#waiters = waiting.filter((w) => !all && w.rows > n);
    for (const w of waiting) if (all || w.rows <= n) w.resolve();
  }
}

/** Read a table into a snapshot; undefined as soon as it would pass `maxBytes` (the read stops there). */
async function fill(snapshot: Snapshot, rows: AsyncIterable<StoredRow>, maxBytes: number): Promise<Snapshot | undefined> {
  try {
    for await (const row of rows) {
      snapshot.add(row);
      if (snapshot.bytes > maxBytes) {
        snapshot.end(false);
        return undefined;
      }
    }
  } catch (error) {
    snapshot.end(false);
    throw error;
  }
  snapshot.end(true);
  return snapshot;
}

interface Entry {
  /** The last complete snapshot. */
  ready?: Snapshot;
  /** A read under way, and its end. */
  building?: { snapshot: Snapshot; done: Promise<Snapshot | undefined> };
  /** When `ready` was read from the storage, or when the table was found too large. */
  at: number;
  /** How long the last read took, in ms. */
  readMs?: number;
  tooLarge?: boolean;
}

/** Options of {@link SnapshotCache}. */
export interface SnapshotOptions {
  /** Memory all snapshots may hold together, in bytes (default 256 MB; 0: no snapshots). */
  maxBytes?: number;
  /** Age after which a snapshot is read again, in ms (default 10 s; at least ten times its last read's duration). */
  ttlMs?: number;
  maxColumns?: number;
  now?: () => number;
}

/**
 * Snapshots of recently viewed tables, within a memory budget (least recently used dropped
 * first). The storage contract has no cheap "has this table changed?" check, so a snapshot
 * lives `ttlMs`, or ten times as long as reading the table took, whichever is longer (so
 * re-reading takes at most a tenth of the server's time). After that the next request still
 * gets it at once and the table is read again in the background (stale-while-revalidate).
 * A table larger than the whole budget gets no snapshot (its queries stream it, as without
 * a cache) and is tried again after `ttlMs`. During a refresh a table may be held twice.
 */
export class SnapshotCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxBytes: number;
  readonly #ttlMs: number;
  readonly #maxColumns: number;
  readonly #now: () => number;

  constructor(options: SnapshotOptions = {}) {
    this.#maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
    this.#ttlMs = options.ttlMs ?? 10_000;
    this.#maxColumns = options.maxColumns ?? 500;
    this.#now = options.now ?? Date.now;
  }

  /**
   * The table's snapshot now: the last complete one (read again in the background when
   * old), else the one being read (`complete` false: started now if needed), else "none"
   * (the table does not fit in the budget, or snapshots are off).
   */
  peek(key: string, rows: () => AsyncIterable<StoredRow>): Snapshot | "none" {
    if (this.#maxBytes <= 0) return "none";
    let entry = this.#entries.get(key);
    const old = entry !== undefined && this.#now() - entry.at > Math.max(this.#ttlMs, 10 * (entry.readMs ?? 0));
    if (entry?.tooLarge && !old) return "none";
    if (!entry || (old && !entry.building)) entry = this.#read(key, rows, entry);
    this.#entries.delete(key); // most recently used last
    this.#entries.set(key, entry);
    return entry.ready ?? entry.building?.snapshot ?? "none";
  }

  /** The table's complete snapshot, once read; undefined when it does not fit. */
  async get(key: string, rows: () => AsyncIterable<StoredRow>): Promise<Snapshot | undefined> {
    const now = this.peek(key, rows);
    if (now === "none") return undefined;
    if (now.complete) return now;
    return this.#entries.get(key)?.building?.done;
  }

  #read(key: string, rows: () => AsyncIterable<StoredRow>, previous: Entry | undefined): Entry {
    const entry: Entry = { ...(previous?.ready ? { ready: previous.ready } : {}), at: previous?.at ?? this.#now() };
    const started = this.#now();
    const snapshot = new Snapshot(this.#maxColumns);
    const done = fill(snapshot, rows(), this.#maxBytes).then(
      (complete) => {
        delete entry.building;
        entry.at = started;
        entry.readMs = this.#now() - started;
        if (complete) {
          entry.ready = complete;
          delete entry.tooLarge;
        } else {
          delete entry.ready;
          entry.tooLarge = true;
        }
        this.#evict(key);
        return complete;
      },
      (error: unknown) => {
        // A failed read is not kept: the next request reads again (and reports its own error).
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
        throw error;
      },
    );
    // Nobody may be waiting for a background read: its failure must not be an unhandled rejection.
    done.catch(() => undefined);
    entry.building = { snapshot, done };
    this.#entries.set(key, entry);
    return entry;
  }

  /** Drop the least recently used snapshots (never `keep`) until the budget holds. */
  #evict(keep: string): void {
    let total = 0;
    for (const e of this.#entries.values()) total += e.ready?.bytes ?? 0;
    for (const [key, e] of this.#entries) {
      if (total <= this.#maxBytes) return;
      if (key === keep || !e.ready) continue;
      total -= e.ready.bytes;
      this.#entries.delete(key);
    }
  }
}
