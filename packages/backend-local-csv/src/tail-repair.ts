import type { Stats } from "node:fs";
import { open, stat, type FileHandle } from "node:fs/promises";
import { writeAll } from "./durable-fs.js";
import { type CommittedTable, sameFile } from "./lock-record.js";
import { BACKEND_NAME } from "./names.js";

/** Read exactly `into.length` bytes at `position`. */
export async function readFully(handle: FileHandle, into: Buffer, position: number): Promise<void> {
  let read = 0;
  while (read < into.length) {
    const { bytesRead } = await handle.read(into, read, into.length - read, position + read);
    if (bytesRead === 0) throw new Error(`unexpected end of file at ${position + read}`);
    read += bytesRead;
  }
}

/**
 * Append `fragment` (the file's bytes from `offset` on) to the `<file>.torn` sidecar, then
 * cut the file at `offset`: nothing is deleted, and the table holds only whole records.
 * Crash-safe in that order: killed in between, the next repair moves the bytes again (the
 * sidecar may then hold them twice, the table never).
 */
export async function moveAside(file: string, fragment: Buffer, offset: number): Promise<void> {
  const aside = await open(`${file}.torn`, "a");
  try {
    await writeAll(aside, fragment.at(-1) === 0x0a ? fragment : Buffer.concat([fragment, Buffer.from("\n")]));
    await aside.sync();
  } finally {
    await aside.close();
  }
  const target = await open(file, "r+");
  try {
    await target.truncate(offset);
    await target.sync();
  } finally {
    await target.close();
  }
}

/**
 * What a dead lock holder wrote past its committed length (same file, grown since) moves
 * aside, with a warning naming them. Returns the bytes moved (0: nothing to do, e.g. the
 * file was replaced since).
 */
export async function rollBackPastCommitted(file: string, committed: CommittedTable): Promise<number> {
  let info: Stats;
  try {
    info = await stat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
  if (!sameFile(info, committed) || info.size <= committed.size) return 0;
  const handle = await open(file, "r");
  const fragment = Buffer.allocUnsafe(info.size - committed.size);
  try {
    await readFully(handle, fragment, committed.size);
  } finally {
    await handle.close();
  }
  await moveAside(file, fragment, committed.size);
  process.emitWarning(
    `[themis] [${BACKEND_NAME}] ${file}: a writer died while writing (never acknowledged); its ${fragment.length} bytes past the committed length were moved to ${file}.torn`,
    { code: "THEMIS_TORN_LINE", type: "ThemisWarning" },
  );
  return fragment.length;
}
