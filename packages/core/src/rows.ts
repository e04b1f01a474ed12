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

const ID_PATTERN = /^[A-Za-z0-9_.:\-]{1,200}$/;

/** A new row id: a random UUID (ids are decided by the client, which makes write retries safe). */
export function newRowId(): string {
  return randomUUID();
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
 * else that JSON cannot hold exactly (NaN, Infinity, bigint, Date, Map, functions, cycles)
 * is an {@link InvalidRowError} listing every offending path.
 */
export function toJsonRow(value: unknown): Row {
  const issues: Issue[] = [];
  const seen = new Set<object>();
  const copy = (v: unknown, path: string): JsonValue | undefined => {
    if (v === null || typeof v === "string" || typeof v === "boolean") return v;
    if (typeof v === "number") {
      if (Number.isFinite(v)) return v;
      issues.push({ path, message: `${v} is not a JSON number` });
      return undefined;
    }
    if (typeof v === "object") {
      if (seen.has(v)) {
        issues.push({ path, message: "circular reference" });
        return undefined;
      }
      if (Array.isArray(v)) {
        seen.add(v);
        const out = v.map((item, i) => copy(item === undefined ? null : item, `${path}[${i}]`) ?? null);
        seen.delete(v);
        return out;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        const what = (v as object).constructor?.name ?? "object";
        const hint = v instanceof Date ? " (store date.toISOString())" : "";
        issues.push({ path, message: `${what} is not a plain JSON object${hint}` });
        return undefined;
      }
      seen.add(v);
      const out: { [key: string]: JsonValue } = {};
      for (const [k, item] of Object.entries(v)) {
        if (item === undefined) continue;
        const c = copy(item, path ? `${path}.${k}` : k);
        if (c !== undefined) out[k] = c;
      }
      seen.delete(v);
      return out;
    }
    issues.push({ path, message: `${typeof v} is not a JSON value` });
    return undefined;
  };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidRowError(`a row must be a plain JSON object, got ${Array.isArray(value) ? "an array" : value === null ? "null" : typeof value}`, []);
  }
  const out = copy(value, "");
  if (issues.length > 0) throw new InvalidRowError("row is not valid JSON", issues);
  return out as Row;
}
