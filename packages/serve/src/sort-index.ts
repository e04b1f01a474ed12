import { ROW_ID, type StoredRow } from "@themis/core";
import { HttpError } from "./http-error.js";
import { valueText } from "./value-text.js";

/** The most rows a sort may cover (about 100 bytes each): filter a larger table first. */
export const MAX_SORT_ROWS = 2_000_000;
/** Sort keys longer than this compare on their first characters only. */
export const SORT_KEY_CHARS = 128;

// Value classes, in the order they sort: numbers (and booleans as 0/1), then text, then
// missing values last whatever the direction.
const NUMBER = 0;
const TEXT = 1;
const MISSING = 2;

/**
 * The sort order of a table's rows by one column, kept as compact parallel arrays of
 * (class, number, text prefix, row id): the rows themselves are not kept. Bounded by
 * {@link MAX_SORT_ROWS}; text keys are cut to {@link SORT_KEY_CHARS} characters.
 */
export class SortIndex {
  readonly #column: string;
  readonly #classes: number[] = [];
  readonly #numbers: number[] = [];
  readonly #texts: string[] = [];
  readonly #ids: string[] = [];

  constructor(column: string) {
    this.#column = column;
  }

  get size(): number {
    return this.#ids.length;
  }

  add(row: StoredRow): void {
    if (this.#ids.length >= MAX_SORT_ROWS) {
      throw new HttpError(413, "ERR_SERVE_SORT_TOO_LARGE", `sorting covers at most ${MAX_SORT_ROWS} rows: filter the table first`);
    }
    const value = (row as Record<string, unknown>)[this.#column];
    let cls = TEXT;
    let num = 0;
    let text = "";
    if (value === undefined || value === null || value === "") cls = MISSING;
    else if (typeof value === "number") [cls, num] = [NUMBER, value];
    else if (typeof value === "boolean") [cls, num] = [NUMBER, value ? 1 : 0];
    else text = valueText(value).slice(0, SORT_KEY_CHARS);
    this.#classes.push(cls);
    this.#numbers.push(num);
    this.#texts.push(text);
    this.#ids.push(row[ROW_ID]);
  }

  /** Row ids of positions [start, end) of the order; ties keep table order. */
  slice(start: number, end: number, desc: boolean): string[] {
    const order = this.order(desc);
    return Array.from(order.subarray(start, Math.min(end, order.length)), (i) => this.#ids[i] as string);
  }

  /** The order as indices of insertion (the n-th row added is n); ties keep insertion order. */
  order(desc: boolean): Uint32Array {
    const c = this.#classes;
    const n = this.#numbers;
    const t = this.#texts;
    const sign = desc ? -1 : 1;
    const order = Uint32Array.from({ length: this.#ids.length }, (_, i) => i);
    return order.sort((a, b) => {
      const ca = c[a] as number;
      const cb = c[b] as number;
      if (ca !== cb) return ca === MISSING ? 1 : cb === MISSING ? -1 : sign * (ca - cb);
      if (ca === NUMBER && n[a] !== n[b]) return sign * ((n[a] as number) - (n[b] as number));
      if (ca === TEXT && t[a] !== t[b]) return sign * ((t[a] as string) < (t[b] as string) ? -1 : 1);
      return a - b;
    });
  }
}
