import { randomBytes } from "node:crypto";
import { writeSync } from "node:fs";
import { link, open, rename, rm, type FileHandle } from "node:fs/promises";
import path from "node:path";

/** Flush a directory's entries (a rename or a new file) to disk. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, "r");
    await handle.sync();
  } catch (error) {
    // Some file systems (and Windows) cannot open or fsync a directory: nothing more to do there.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EINVAL" && code !== "EPERM" && code !== "EACCES") throw error;
  } finally {
    await handle?.close();
  }
}

/** A temp file name beside `target` (same directory, so rename is atomic), hidden from listings. */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
}

/** Write all of `data` at the handle's position (O_APPEND: the end), looping over short writes. */
export async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

/**
 * Write a file through a temp file: `fill` writes it, then fsync, rename over `target`
 * (or `link` when `exclusive`: fails with EEXIST instead of replacing), fsync the
 * directory. Readers see the old file or the new one, never a mix; a crash leaves at
 * most a hidden temp file. Returns the new file's inode and size.
 */
/** Write all of `data` with synchronous calls (short writes continued). */
export function writeAllSync(fd: number, data: Buffer): void {
  for (let offset = 0; offset < data.length; ) offset += writeSync(fd, data, offset, data.length - offset);
}

export async function writeFileAtomic(
  target: string,
  fill: (handle: FileHandle) => Promise<void>,
  options: { exclusive?: boolean } = {},
): Promise<{ ino: number; dev: number; birthtimeMs: number; size: number }> {
  const temp = tempPathFor(target);
  const handle = await open(temp, "wx");
  let done = false;
  try {
    await fill(handle);
    await handle.sync();
    const info = await handle.stat();
    await handle.close();
    if (options.exclusive) await link(temp, target);
    else await rename(temp, target);
    done = !options.exclusive;
    await fsyncDir(path.dirname(target));
    return { ino: info.ino, dev: info.dev, birthtimeMs: info.birthtimeMs, size: info.size };
  } finally {
    await handle.close().catch(() => undefined);
    if (!done) await rm(temp, { force: true });
  }
}
