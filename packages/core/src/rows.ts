import { randomUUID } from "node:crypto";
import { InvalidRowError, type Issue } from "./errors.js";

/** Any value JSON can hold. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A row as users write it: a plain JSON object. */
export type Row = { [key: string]: JsonValue };

/** The reserved field that holds a row's id. */
export const ROW_ID = "_row_id";

/** A row as stored and read back: with its stable, unique `_row_id`. */
export type StoredRow<T extends Row = Row> = T & { _row_id: string };

/**
 * A row core checked and serialised for `TableStore.appendSerialized`: `json` is
 * `JSON.stringify` of the stored row (`_row_id` first, equal to `id`).
 */
export interface SerializedRow {
  readonly id: string;
  readonly json: string;
}

const MAX_DEPTH = 256;
const LONE_SURROGATE =
  "string holds a lone UTF-16 surrogate (half of a character pair), which no storage can keep as written; use str.toWellFormed() to replace it with U+FFFD";

/**
 * `obj[key] = value`, except that a key named "__proto__" becomes an own data property
 * instead of replacing the object's prototype (JSON.parse does the same).
 */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
/** Whether `s` has no lone UTF-16 surrogate, i.e. has a UTF-8 form (String#isWellFormed, ES2024). */
export function isWellFormed(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,200}$/;

/** A new row id: a random UUID (ids are decided by the client, which makes write retries safe). */
export function newRowId(): string {
  return randomUUID();
}

/** Whether `id` is a usable row id (see {@link validateRowId}). */
export function isRowId(id: unknown): id is string {
  return typeof id === "string" && ID_PATTERN.test(id);
}

/** Throws unless `id` is a usable row id (1-200 chars of letters, digits, `_ . : -`). */
export function validateRowId(id: unknown): asserts id is string {
  if (typeof id !== "string" || !ID_PATTERN.test(id)) {
    throw new InvalidRowError(`invalid ${ROW_ID} ${JSON.stringify(id)}: use 1-200 letters, digits, '_', '.', ':' or '-'`, []);
  }
}

/**
 * Checks that `value` is a plain JSON object and returns a deep copy holding only JSON
 * values. Keys whose value is `undefined` are dropped, as `JSON.stringify` does; anything
 * else that JSON cannot hold exactly (NaN, Infinity, bigint, Date, Map, functions, cycles,
 * nesting deeper than 256 levels, strings or keys with a lone UTF-16 surrogate)
 * is an {@link InvalidRowError} listing every offending path.
 */
export function toJsonRow(value: unknown): Row {
  return copyJsonRow(value, {});
}

/**
 * True when `value` already is what {@link copyJsonRow} would make of it: a plain JSON object
 * (prototype `Object.prototype` or null) whose values, at every depth, are finite numbers,
 * booleans, null, well-formed strings, dense arrays and plain objects with well-formed keys,
 * nothing `undefined`, at most 256 levels deep. Allocates nothing: core checks its own rows
 * (results, claims) with it and copies only those that fail, which then report the issues.
 */
export function isExactJsonRow(value: unknown): value is Row {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  return isExactObject(value, 0);
}

function isExactValue(v: unknown, depth: number): boolean {
  switch (typeof v) {
    case "string":
      return isWellFormed(v);
    case "boolean":
      return true;
    case "number":
      return Number.isFinite(v);
    case "object":
      if (v === null) return true;
      if (Array.isArray(v)) {
        if (depth >= MAX_DEPTH) return false;
        for (let i = 0; i < v.length; i++) {
          // A hole reads as undefined too: the copy turns both into null.
          if (v[i] === undefined || !isExactValue(v[i], depth + 1)) return false;
        }
        return true;
      }
      return isExactObject(v, depth);
    default:
      return false;
  }
}

function isExactObject(v: object, depth: number): boolean {
  if (depth >= MAX_DEPTH) return false;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k in v) {
    // An inherited enumerable key (someone extended Object.prototype) is skipped by the copy.
    if (!Object.hasOwn(v, k)) return false;
    const item = (v as Record<string, unknown>)[k];
    if (item === undefined || !isWellFormed(k) || !isExactValue(item, depth + 1)) return false;
  }
  return true;
}

/** Copy of a value {@link isExactJsonRow} accepted (so: no checks, no undefined, own keys only). */
function copyExact(v: JsonValue): JsonValue {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) {
    const out: JsonValue[] = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = copyExact(v[i] as JsonValue);
    return out;
  }
  return copyExactFields(v, {});
}

function copyExactFields(v: Row, into: Row): Row {
  for (const k in v) {
    const c = copyExact(v[k] as JsonValue);
    if (k === "__proto__") setOwn(into, k, c);
    else into[k] = c;
  }
  return into;
}

/**
 * {@link toJsonRow}, copying the row's fields into `into` (whose keys keep their place in
 * front), so that a caller that needs some key first copies the row once instead of twice.
 */
export function copyJsonRow(value: unknown, into: Row): Row {
  // Almost every row is valid: check it without allocating, then copy it without tracking
  // paths (half the time of the general copy below, which only runs to list the issues).
  if (isExactJsonRow(value)) return copyExactFields(value, into);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidRowError(`a row must be a plain JSON object, got ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}`, []);
  }
  const issues: Issue[] = [];
  // The path is kept as a stack and joined only when there is an issue: this runs for every
  // value of every row, so it must not build strings on the happy path.
  const path: (string | number)[] = [];
  const here = (): string => path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
  const copy = (v: unknown, root?: Row): JsonValue | undefined => {
    switch (typeof v) {
      case "string":
        // A lone surrogate (half of a UTF-16 pair) has no UTF-8 form: a file or a server
        // would store U+FFFD instead, silently. Refuse it here, for every backend at once.
        if (isWellFormed(v)) return v;
        issues.push({ path: here(), message: LONE_SURROGATE });
        return undefined;
      case "boolean":
        return v;
      case "number":
        if (Number.isFinite(v)) return v;
        issues.push({ path: here(), message: `${v} is not a JSON number` });
        return undefined;
      case "object": {
        if (v === null) return null;
        // A depth bound instead of a set of visited objects: cheaper on every row, and it
        // stops cycles too.
        if (path.length > MAX_DEPTH) {
          issues.push({ path: here().slice(0, 200), message: `nested deeper than ${MAX_DEPTH} levels (a circular reference?)` });
          return undefined;
        }
        if (Array.isArray(v)) {
          const out: JsonValue[] = new Array(v.length);
          for (let i = 0; i < v.length; i++) {
            path.push(i);
            out[i] = v[i] === undefined ? null : (copy(v[i]) ?? null);
            path.pop();
          }
          return out;
        }
        const proto = Object.getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null) {
          const what = (v as object).constructor?.name ?? "object";
          const hint = v instanceof Date ? " (store date.toISOString())" : "";
          issues.push({ path: here(), message: `${what} is not a plain JSON object${hint}` });
          return undefined;
        }
        const out: { [key: string]: JsonValue } = root ?? {};
        for (const k in v) {
          if (!Object.hasOwn(v, k)) continue;
          const item = (v as Record<string, unknown>)[k];
          if (item === undefined) continue;
          path.push(k);
          if (!isWellFormed(k)) {
            issues.push({ path: (here() as unknown as { toWellFormed(): string }).toWellFormed(), message: `key: ${LONE_SURROGATE}` });
            path.pop();
            continue;
          }
          const c = copy(item);
          path.pop();
          if (c !== undefined) setOwn(out, k, c);
        }
        return out;
      }
      default:
        issues.push({ path: here(), message: `${typeof v} is not a JSON value` });
        return undefined;
    }
  };
  const out = copy(value, into);
  if (issues.length > 0) throw new InvalidRowError("row is not valid JSON", issues);
  return out as Row;
}
