import { ROW_ID, type Row } from "@themis/core";

/**
 * The header (column names) for `rows`: `_row_id` first (unless `existing` places it
 * elsewhere), the columns of `existing` in their order, then every key not yet present,
 * in order of first appearance. Returns `existing` itself (the same array) when nothing
 * changes, so a caller can tell with `===` whether a batch introduces new columns.
 */
export function headerFor(rows: Iterable<Row>, existing: readonly string[] = []): readonly string[] {
  const base = existing.includes(ROW_ID) ? existing : [ROW_ID, ...existing];
  const known = new Set(base);
  let out: string[] | undefined;
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      if (known.has(key)) continue;
      known.add(key);
      out ??= [...base];
      out.push(key);
    }
  }
  return out ?? base;
}
