import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import type { JsonValue } from "@themis/core";
import { decodeCell } from "@themis/csv-codec";
import { UsageError } from "../exit-codes.js";

/** What `--types` and `--schema` can say about a column. */
export type ColumnType = "string" | "number" | "integer" | "boolean" | "json";
export const COLUMN_TYPES: readonly ColumnType[] = ["string", "number", "integer", "boolean", "json"];

/** Column name → declared type. Columns not named follow the CSV codec (or JSON itself). */
export type ColumnTypes = ReadonlyMap<string, ColumnType>;

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function checkType(column: string, type: string): ColumnType {
  if (!(COLUMN_TYPES as readonly string[]).includes(type))
    throw new UsageError(`column "${column}": unknown type "${type}" (types: ${COLUMN_TYPES.join(", ")})`);
  return type as ColumnType;
}

/** `--types question=string,score=number` (repeatable), merged over `--schema`'s. */
export function parseTypesFlag(value: string, previous: Map<string, ColumnType> = new Map()): Map<string, ColumnType> {
  const out = new Map(previous);
  for (const pair of value.split(",").filter((p) => p.trim() !== "")) {
    const eq = pair.lastIndexOf("=");
    if (eq <= 0) throw new UsageError(`--types: expected column=type, got "${pair}"`);
    const column = pair.slice(0, eq).trim();
    out.set(column, checkType(column, pair.slice(eq + 1).trim()));
  }
  return out;
}

/** `--schema <file>`: a YAML or JSON object `{ column: type }`. */
export async function readSchemaFile(file: string): Promise<Map<string, ColumnType>> {
  const doc = parse(await readFile(file, "utf8")) as unknown;
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) throw new UsageError(`${file}: expected an object { column: type }`);
  return new Map(Object.entries(doc).map(([column, type]) => [column, checkType(column, String(type))]));
}

/**
 * A CSV cell as a JSON value: the declared type when there is one (a mismatch throws a
 * message), else the CSV codec's rule (a leading `'` marks text; text that is JSON is that
 * value; anything else is the text). The empty cell is a missing key either way.
 */
export function cellValue(cell: string, type: ColumnType | undefined): JsonValue | undefined {
  if (cell === "") return undefined;
  switch (type) {
    case undefined:
      return decodeCell(cell);
    case "string":
      return cell;
    case "json":
      try {
        return JSON.parse(cell) as JsonValue;
      } catch {
        throw new Error(`not JSON: ${JSON.stringify(cell.slice(0, 40))}`);
      }
    default:
      return checkedValue(type, NUMBER.test(cell) ? Number(cell) : cell === "true" || cell === "false" ? cell === "true" : cell);
  }
}

/** A JSON value against a declared type (JSON Lines values, and CSV cells once read). */
export function checkedValue(type: ColumnType | undefined, value: JsonValue): JsonValue {
  const ok =
    type === undefined ||
    type === "json" ||
    (type === "string" && typeof value === "string") ||
    (type === "number" && typeof value === "number") ||
    (type === "integer" && Number.isSafeInteger(value)) ||
    (type === "boolean" && typeof value === "boolean");
  if (!ok) throw new Error(`expected ${type === "integer" ? "an integer" : `a ${type}`}, got ${JSON.stringify(value).slice(0, 40)}`);
  return value;
}
