import { type FileHandle, open } from "node:fs/promises";
import path from "node:path";
import { type ThemisError, asThemisError, backendError } from "@themis/core/backend";
import writeFileAtomic from "write-file-atomic";
import { BACKEND_NAME } from "./config.js";

/** The `code` of a Node.js system error (ENOENT, EEXIST, ...), if it is one. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

// A busy or interrupted call may succeed on retry (UNAVAILABLE, retryable); a denied or full one will not.
const TRANSIENT = new Set(["EAGAIN", "EBUSY", "EINTR", "EMFILE", "ENFILE"]);

/**
 * `error`, thrown while trying to `action` `target`, as a Themis error users can match on
 * `code`: a Themis error as it is, ENOENT as `missing()` when given (the project or table is
 * gone), any other file-system failure through core's `backendError` with the original
 * error as `cause`.
 */
export function fsError(error: unknown, action: string, target: string, missing?: () => ThemisError): ThemisError {
  const themis = asThemisError(error);
  if (themis) return themis;
  const errno = errnoOf(error);
  if (errno === "ENOENT" && missing) return missing();
  const kind = errno !== undefined && TRANSIENT.has(errno) ? "unavailable" : "refused";
  return backendError(kind, `cannot ${action} ${target}${errno ? ` (${errno})` : ""}`, { backend: BACKEND_NAME, cause: error });
}

/**
 * Make a rename or a new file in `dir` durable: fsync the directory entry itself. Some
 * platforms (Windows) cannot sync a directory; there the rename is as durable as it gets.
 */
export async function syncDirectory(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch (error) {
    if (!["EISDIR", "EPERM", "EINVAL", "EACCES"].includes(errnoOf(error) ?? "")) throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Replace `file` with `data` all at once (npm's write-file-atomic: a temp file beside it,
 * flushed, renamed over the old one), then flush the directory, which that library leaves
 * to its caller. A crash leaves the old or the new content, never a mix; a leftover temp
 * file is named `<table>.jsonl.<number>`, so it is never listed as a table.
 */
export async function replaceFile(file: string, data: string, fsync: boolean): Promise<void> {
  await writeFileAtomic(file, data, { fsync });
  if (fsync) await syncDirectory(path.dirname(file));
}
