/** What a view's first request learns and later pages reuse. */
export interface ViewFacts {
  total: number;
  columns: string[];
  /** Row ids of every matching row in order (sorted views only). */
  order?: string[];
  /** Positions in a table snapshot of every matching row in order (views of a snapshot). */
  positions?: Uint32Array;
}

/**
 * A few recent views' facts (row count, columns, sort order), so scrolling a view costs one
 * partial pass per page instead of a full pass plus a sort. Entries expire after `ttlMs`:
 * a table that grows (a running experiment) shows its new rows at most that late.
 */
export class ViewCache {
  readonly #entries = new Map<string, { facts: ViewFacts; at: number }>();
  readonly #ttlMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(ttlMs = 10_000, max = 8, now: () => number = Date.now) {
    this.#ttlMs = ttlMs;
    this.#max = max;
    this.#now = now;
  }

  get(key: string): ViewFacts | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (this.#now() - entry.at > this.#ttlMs) {
      this.#entries.delete(key);
      return undefined;
    }
    // Most recently used last (Map keeps insertion order).
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.facts;
  }

  set(key: string, facts: ViewFacts): void {
    this.#entries.delete(key);
    this.#entries.set(key, { facts, at: this.#now() });
    while (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
  }
}
