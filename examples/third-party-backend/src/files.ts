import { type FileHandle, open } from "node:fs/promises";
import path from "node:path";
import { errnoOf } from "@themis/core/backend";
import writeFileAtomic from "write-file-atomic";

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
