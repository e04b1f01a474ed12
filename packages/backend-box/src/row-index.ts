import type { StoredRow } from "@themis/core";

/** One map of ids shared by a line of versions; `tip` is the row count of the newest one. */
interface SharedIds {
  map: Map<string, number>;
  tip: number;
}

/**
 * Position of each row id in one version of a table file, immutable from the outside.
 * Appending is the common write, so versions made by appending share one map: a version
 * sees only the entries below its own row count, and extending the newest version adds
 * entries in place, costing time in proportion to the rows added, not to the table.
 * Extending an older version (its newer sibling was never stored, say a failed upload)
 * first copies the entries it sees.
 */
export class RowIndex {
  readonly #ids: SharedIds;
  /** Number of rows in this version. */
  readonly size: number;

  private constructor(ids: SharedIds, size: number) {
    this.#ids = ids;
    this.size = size;
  }

  static of(rows: readonly StoredRow[]): RowIndex {
    const map = new Map<string, number>();
    for (let i = 0; i < rows.length; i++) map.set(rows[i]!._row_id, i);
    return new RowIndex({ map, tip: rows.length }, rows.length);
  }

  get(id: string): number | undefined {
    const at = this.#ids.map.get(id);
    return at !== undefined && at < this.size ? at : undefined;
  }

  /** Ids and positions in file order. */
  entries(): Array<[string, number]> {
    return [...this.#ids.map].filter(([, at]) => at < this.size).sort((a, b) => a[1] - b[1]);
  }

  /** A new version with `ids` (new to this version, distinct) added after the last row. */
  withAppended(ids: readonly string[]): RowIndex {
    let shared = this.#ids;
    if (shared.tip !== this.size) {
      const map = new Map<string, number>();
      for (const [id, at] of shared.map) if (at < this.size) map.set(id, at);
      shared = { map, tip: this.size };
    }
    let position = this.size;
    for (const id of ids) shared.map.set(id, position++);
    shared.tip = position;
    return new RowIndex(shared, position);
  }

  /** A new version without the rows at `positions` (the rows after each move up). */
  without(positions: readonly number[]): RowIndex {
    const gone = new Set(positions);
    const sorted = [...gone].sort((a, b) => a - b);
    const map = new Map<string, number>();
    for (const [id, at] of this.#ids.map) {
      if (at >= this.size || gone.has(at)) continue;
      map.set(id, at - countBelow(sorted, at));
    }
    return new RowIndex({ map, tip: this.size - gone.size }, this.size - gone.size);
  }
}

/** How many of `sorted` (ascending) are below `value`: a binary search. */
function countBelow(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] ?? value) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
