import type { JsonValue, StoredRow } from "@themis/core";

/**
 * A deep copy of a JSON value. Rows hold nothing but JSON, so this is exact, and several
 * times faster than structuredClone, which dominated the cost of loading a cached table.
 */
export function copyJson<T extends JsonValue>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    const out = new Array<JsonValue>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copyJson(value[i]!);
    return out as T;
  }
  const out: { [key: string]: JsonValue } = {};
  for (const key of Object.keys(value)) {
    const item = copyJson((value as { [key: string]: JsonValue })[key]!);
    // "__proto__" is a legal JSON key; plain assignment would set the prototype instead.
    if (key === "__proto__") Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
    else out[key] = item;
  }
  return out as T;
}

/** Copies of rows, for callers that may change them. */
export const copyRows = (rows: readonly StoredRow[]): StoredRow[] => rows.map((row) => copyJson(row) as StoredRow);
