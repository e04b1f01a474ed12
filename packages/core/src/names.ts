import { InvalidNameError } from "./errors.js";

const MAX_NAME_LENGTH = 128;
// File systems limit a name to 255 bytes (ext4, APFS, NTFS in UTF-16 units); backends add a
// suffix such as ".csv" or ".lock.json": 200 UTF-8 bytes leaves room for it.
const MAX_NAME_BYTES = 200;
// Names that are devices on Windows whatever the extension: a table "con" would be unusable there.
const RESERVED_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
// Letters, digits and a few separators that are safe in file names, URLs, Redis keys and S3 keys.
const SAFE = /^[\p{L}\p{N}_][\p{L}\p{N}_.\- ]*$/u;

/** What a name names, for error messages. */
export type NameKind = "project" | "dataset" | "experiment" | "table";

/**
 * Throws {@link InvalidNameError} unless `name` is safe as a project or table name on every
 * backend: not empty, at most 128 characters and 200 UTF-8 bytes, no path separators, no `..`, no control
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
  const bytes = Buffer.byteLength(s, "utf8");
  if (bytes > MAX_NAME_BYTES) fail(`a name is at most ${MAX_NAME_BYTES} bytes in UTF-8 (this one has ${bytes}: non-Latin letters take 2-4 bytes each)`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: names with control characters are rejected
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
