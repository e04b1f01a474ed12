import { ROW_ID, type TableKind } from "@themis/core";
import { serializeRows } from "@themis/csv-codec";

/** Folder of each table kind inside a project folder (Ragas' box/csv layout). */
export const KIND_FOLDERS: Record<TableKind, string> = { dataset: "datasets", experiment: "experiments" };

/** File name of a table: `<name>.csv`. */
export const tableFileName = (name: string): string => `${name}.csv`;

/** A new table is its header line alone: a valid CSV file that Box's preview shows as such. */
export const EMPTY_TABLE = serializeRows([ROW_ID], []);
