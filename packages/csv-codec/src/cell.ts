import type { JsonValue } from "@themis/core";

/**
 * The prefix that marks a cell as a literal string. Spreadsheets (Excel, LibreOffice,
 * Google Sheets) already treat a leading apostrophe as "text, not a formula", so the
 * marker is both an escape for ambiguous strings and a guard against CSV injection.
 */
export const STRING_MARKER = "'";

// Characters that make a spreadsheet evaluate a cell as a formula (OWASP CSV injection list).
const FORMULA_START = /^[=+\-@\t\r]/;
// A JSON text starts, after optional whitespace, with one of these. Cheap pre-check so most
// plain strings never pay for a JSON.parse that throws.
const MAYBE_JSON = /^[ \t\n\r]*[[{"\-0-9tfn]/;
const MARKER_CODE = STRING_MARKER.charCodeAt(0);
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const MINUS = 0x2d;
const LOWER_T = 0x74;
const LOWER_F = 0x66;
const LOWER_N = 0x6e;
// The JSON grammar's number and literals, with the trailing whitespace JSON.parse allows.
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?[ \t\n\r]*$/;
const JSON_LITERAL = /^(?:true|false|null)[ \t\n\r]*$/;

/**
 * True when a spreadsheet would evaluate this text as a formula: it starts with `=`, `+`,
 * `-`, `@`, tab or CR (OWASP CSV injection). Writers of plain CSV prefix such text with
 * {@link STRING_MARKER} to neutralise it.
 */
export function startsLikeFormula(text: string): boolean {
  return FORMULA_START.test(text);
}

/** `{`, `[`, `"` or JSON whitespace: the other ways a JSON text can start. */
function mayStartJson(code: number): boolean {
  return code === 0x7b || code === 0x5b || code === 0x22 || code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

function parsesAsJson(text: string): boolean {
  const first = text.charCodeAt(0);
  if ((first >= DIGIT_0 && first <= DIGIT_9) || first === MINUS) return JSON_NUMBER.test(text);
  if (first === LOWER_T || first === LOWER_F || first === LOWER_N) return JSON_LITERAL.test(text);
  if (!mayStartJson(first) || !MAYBE_JSON.test(text)) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Encode one value as the text of a CSV cell.
 *
 * - `undefined` (a missing key) is the empty cell.
 * - A string is written as-is, unless it is empty, starts with `'`, would parse as JSON
 *   (`"1"`, `"true"`, `"null"`, `"{...}"`, `" 1"`) or starts with a formula character
 *   (`= + - @`, tab, carriage return): then it is written as `'` + the string.
 * - Anything else (number, boolean, null, object, array) is `JSON.stringify`'d.
 *
 * {@link decodeCell} reverses it exactly.
 */
export function encodeCell(value: JsonValue | undefined): string {
  if (value === undefined) return "";
  if (typeof value === "string") {
    if (value === "" || value.startsWith(STRING_MARKER) || FORMULA_START.test(value) || parsesAsJson(value)) {
      return STRING_MARKER + value;
    }
    return value;
  }
  return JSON.stringify(value);
}

/**
 * Decode the text of a CSV cell written by {@link encodeCell}: the empty cell is
 * `undefined` (key missing); a leading `'` marks a string (the marker is dropped);
 * otherwise the cell is parsed as JSON, and when that fails (a cell typed by hand in a
 * spreadsheet, like `hello world`) it is the string itself.
 */
export function decodeCell(cell: string): JsonValue | undefined {
  if (cell === "") return undefined;
  const first = cell.charCodeAt(0);
  if (first === MARKER_CODE) return cell.slice(1);
  // Fast paths with exactly JSON.parse's result, without paying for the exception JSON.parse
  // throws on the many plain strings that merely start like a literal ("note 5", "2024-01-01").
  if ((first >= DIGIT_0 && first <= DIGIT_9) || first === MINUS) return JSON_NUMBER.test(cell) ? Number(cell) : cell;
  if (first === LOWER_T || first === LOWER_F || first === LOWER_N) {
    if (!JSON_LITERAL.test(cell)) return cell;
    const literal = cell.trimEnd();
    return literal === "null" ? null : literal === "true";
  }
  if (!mayStartJson(first) || !MAYBE_JSON.test(cell)) return cell;
  try {
    return JSON.parse(cell) as JsonValue;
  } catch {
    return cell;
  }
}

/**
 * Encode a column name for the header row. Names are always strings, so only the empty
 * name, a leading `'` and formula characters need the `'` marker (keeps the header both
 * exact and safe to open in a spreadsheet).
 */
export function encodeHeaderCell(name: string): string {
  if (name === "" || name.startsWith(STRING_MARKER) || FORMULA_START.test(name)) return STRING_MARKER + name;
  return name;
}

/** Decode a header cell written by {@link encodeHeaderCell}. */
export function decodeHeaderCell(cell: string): string {
  return cell.startsWith(STRING_MARKER) ? cell.slice(1) : cell;
}
