import { randomUUID } from "node:crypto";
import { type FileHandle, open, rename, rm } from "node:fs/promises";
import path from "node:path";
import { type ThemisError, backendError } from "@themis/core/backend";
import { BACKEND_NAME } from "./name.js";

/** The `code` of a Node.js system error (ENOENT, EEXIST, ...), if it is one. */
export function errnoOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * A file-system failure that has no more specific meaning (permissions, a full disk) as a
 * Themis error, so callers can match on `code`; the original error stays as `cause`.
 */
export function storageError(action: string, target: string, cause: unknown): ThemisError {
  const errno = errnoOf(cause);
  // A busy or interrupted call may succeed on retry (UNAVAILABLE, retryable); a denied or full one will not.
  const kind = errno !== undefined && TRANSIENT.has(errno) ? "unavailable" : "refused";
  return backendError(kind, `cannot ${action} ${target}${errno ? ` (${errno})` : ""}`, { backend: BACKEND_NAME, cause });
}

const TRANSIENT = new Set(["EAGAIN", "EBUSY", "EINTR", "EMFILE", "ENFILE"]);

/**
 * Make a rename or a new file in `dir` durable: fsync the directory entry itself.
 * Some platforms cannot open a directory for syncing; there the rename is as durable as it gets.
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
 * Replace `file` with `data` all at once: write a temp file beside it, flush it, rename it
 * over the old one, flush the directory. A crash leaves either the old or the new content,
 * never a mix; the temp name starts with a dot, so a leftover is never listed as a table.
 */
export async function writeFileAtomic(file: string, data: string, fsync: boolean): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomUUID()}.tmp`);
  try {
    const handle = await open(temp, "wx");
    try {
      await handle.writeFile(data, "utf8");
      if (fsync) await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  if (fsync) await syncDirectory(path.dirname(file));
}
