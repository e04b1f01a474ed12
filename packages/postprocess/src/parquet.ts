import type { JsonValue, StoredRow } from "@themis/core";
import { type ColumnSource, parquetWriteFile } from "hyparquet-writer";

type ParquetType = "DOUBLE" | "BOOLEAN" | "STRING" | "JSON";

/** The narrowest type that holds every non-null value of a column; mixed or nested: JSON. */
function typeOf(values: readonly (JsonValue | undefined)[]): ParquetType {
  let type: ParquetType | undefined;
  for (const v of values) {
    if (v === undefined || v === null) continue;
    const t: ParquetType = typeof v === "number" ? "DOUBLE" : typeof v === "boolean" ? "BOOLEAN" : typeof v === "string" ? "STRING" : "JSON";
    if (type !== undefined && type !== t) return "JSON";
    type = t;
  }
  return type ?? "STRING";
}

/** One Parquet file, one column per field, nullable (rows may lack a field). */
export function writeParquet(file: string, columns: readonly string[], rows: readonly StoredRow[]): void {
  const columnData: ColumnSource[] = columns.map((name) => {
    const values = rows.map((r) => r[name]);
    const type = typeOf(values);
    return { name, type, nullable: true, data: values.map((v) => (v === undefined ? null : v)) };
  });
  parquetWriteFile({ filename: file, columnData });
}
