import { InvalidNameError } from "./errors.js";

const MAX_NAME_LENGTH = 128;
// Names that are devices on Windows whatever the extension: a table "con" would be unusable there.
const RESERVED_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
// Letters, digits and a few separators that are safe in file names, URLs, Redis keys and S3 keys.
const SAFE = /^[\p{L}\p{N}_][\p{L}\p{N}_.\- ]*$/u;

/** What a name names, for error messages. */
export type NameKind = "project" | "dataset" | "experiment" | "table";

/**
 * Throws {@link InvalidNameError} unless `name` is safe as a project or table name on every
 * backend: not empty, at most 128 characters, no path separators, no `..`, no control
 * characters, no leading dot or dash, no trailing dot or space, not a Windows device name,
 * and not starting with `__` (reserved for Themis' own tables).
 */
export function validateName(kind: NameKind, name: unknown): asserts name is string {
  const fail = (why: string): never => {
    throw new InvalidNameError(`invalid ${kind} name ${JSON.stringify(name)}: ${why}`);
  };
  if (typeof name !== "string") fail("a name must be a string");
  const s = name as string;
  if (s.length === 0) fail("a name cannot be empty");
  if (s.length > MAX_NAME_LENGTH) fail(`a name is at most ${MAX_NAME_LENGTH} characters`);
  if (/[\u0000-\u001f\u007f-\u009f]/.test(s)) fail("control characters are not allowed");
  if (s.includes("/") || s.includes("\\")) fail("path separators are not allowed");
  if (s.includes("..")) fail('".." is not allowed');
  if (s.startsWith("__")) fail('names starting with "__" are reserved for Themis');
  if (RESERVED_DEVICE.test(s)) fail("reserved device name on Windows");
  if (/[. ]$/.test(s)) fail("a name cannot end with a dot or a space");
  if (!SAFE.test(s)) fail("use letters, digits, '_', '-', '.', ' ' (starting with a letter, digit or '_')");
}

/** Name of a table Themis keeps for itself (e.g. experiment run records); not listed to users. */
export function isInternalTableName(name: string): boolean {
  return name.startsWith("__");
}
