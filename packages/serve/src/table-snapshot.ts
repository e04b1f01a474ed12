import { ROW_ID, type StoredRow } from "@themis/core";
import { valueText } from "./value-text.js";

/**
 * A table held in memory in a compact, query-ready form: each row's JSON text (pages are
 * parsed from it), and its values as one lower-cased text (what a filter searches), in
 * table order. A filter is then a scan of strings, a page an array slice: no pass through
 * the storage backend.
 */
export interface Snapshot {
  /** Tells snapshots of one table apart (a new one after each refresh). */
  generation: number;
  json: string[];
  /** Lower-cased values joined by NUL: a filter without NUL is in a value iff it is in this. */
  text: string[];
  columns: string[];
  /** Approximate memory held, in bytes. */
  bytes: number;
}

/** Separates values in {@link Snapshot.text}; a filter holding it takes the streaming path. */
export const VALUE_SEPARATOR = "\u0000";
// V8 string headers and array slots per row (three strings), on top of their characters.
const ROW_OVERHEAD = 64;

let generations = 0;

/** Build a snapshot in one pass; undefined as soon as it would pass `maxBytes` (the pass stops there). */
export async function buildSnapshot(rows: AsyncIterable<StoredRow>, maxBytes: number, maxColumns: number): Promise<Snapshot | undefined> {
  const json: string[] = [];
  const text: string[] = [];
  const columns = new Set<string>([ROW_ID]);
  let bytes = 0;
  for await (const row of rows) {
    const j = JSON.stringify(row);
    let t = "";
    for (const value of Object.values(row)) t += (t ? VALUE_SEPARATOR : "") + valueText(value).toLowerCase();
    bytes += 2 * (j.length + t.length) + ROW_OVERHEAD; // two bytes a character: the worst case
    if (bytes > maxBytes) return undefined;
    json.push(j);
    text.push(t);
    if (columns.size < maxColumns) for (const key of Object.keys(row)) columns.add(key);
  }
  return { generation: ++generations, json, text, columns: [...columns].slice(0, maxColumns), bytes };
}

interface Entry {
  /** The snapshot, once built. */
  ready?: Snapshot;
  /** A build under way. */
  building?: Promise<Snapshot | undefined>;
  /** When `ready` was read from the storage, or when the table was found too large. */
  at: number;
  tooLarge?: boolean;
}

/** Options of {@link SnapshotCache}. */
export interface SnapshotOptions {
  /** Memory all snapshots may hold together, in bytes (default 256 MB; 0: no snapshots). */
  maxBytes?: number;
  /** Age after which a snapshot is read again, in ms (default 10 s). */
  ttlMs?: number;
  maxColumns?: number;
  now?: () => number;
}

/**
 * Snapshots of recently viewed tables, within a memory budget (least recently used dropped
 * first). The storage contract has no cheap "has this table changed?" check, so a snapshot
 * lives `ttlMs`: after that the next request still gets it (no wait) and starts reading the
 * table again in the background (stale-while-revalidate). A table larger than the whole
 * budget gets no snapshot (its queries stream it, as without a cache) and is tried again
 * after `ttlMs`. During a refresh a table may be held twice.
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
   * The table's snapshot now, if held (refreshed in the background when old); else
   * "building" (a build is under way: started now if needed) or "none" (the table does not
   * fit in the budget, or snapshots are off).
   */
  peek(key: string, rows: () => AsyncIterable<StoredRow>): Snapshot | "building" | "none" {
    if (this.#maxBytes <= 0) return "none";
    let entry = this.#entries.get(key);
    const old = entry !== undefined && this.#now() - entry.at > this.#ttlMs;
    if (entry?.tooLarge && !old) return "none";
    if (!entry || (old && !entry.building)) entry = this.#build(key, rows, entry);
    this.#touch(key, entry);
    return entry.ready ?? "building";
  }

  /** The table's snapshot, after building it when needed; undefined when it does not fit. */
  async get(key: string, rows: () => AsyncIterable<StoredRow>): Promise<Snapshot | undefined> {
    const now = this.peek(key, rows);
    if (now === "none") return undefined;
    if (now !== "building") return now;
    return this.#entries.get(key)?.building;
  }

  #build(key: string, rows: () => AsyncIterable<StoredRow>, previous: Entry | undefined): Entry {
    const entry: Entry = { ...(previous?.ready ? { ready: previous.ready } : {}), at: previous?.at ?? this.#now() };
    const started = this.#now();
    entry.building = buildSnapshot(rows(), this.#maxBytes, this.#maxColumns).then(
      (snapshot) => {
        delete entry.building;
        entry.at = started;
        if (snapshot) {
          entry.ready = snapshot;
          delete entry.tooLarge;
        } else {
          delete entry.ready;
          entry.tooLarge = true;
        }
        this.#evict(key);
        return snapshot;
      },
      (error: unknown) => {
        // A failed read is not cached: the next request tries again (and reports its own error).
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
        throw error;
      },
    );
    // Nobody may be waiting for a background refresh: its failure must not be an unhandled rejection.
    entry.building.catch(() => undefined);
    this.#entries.set(key, entry);
    return entry;
  }

  #touch(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#entries.set(key, entry);
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
