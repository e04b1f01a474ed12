import type { JsonValue, StoredRow } from "@themis/core";

/** Column names in first-seen order (rows may have different keys), or the ones asked for. */
export function columnsOf(rows: readonly StoredRow[], wanted: readonly string[] | undefined): string[] {
  if (wanted) return [...wanted];
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) seen.add(key);
  return [...seen];
}

/** A nested value (object, array) as JSON text: flat formats hold scalars only. */
export function flatCell(value: JsonValue | undefined): string | number | boolean | null {
  if (value === undefined || value === null) return null;
  return typeof value === "object" ? JSON.stringify(value) : value;
}
