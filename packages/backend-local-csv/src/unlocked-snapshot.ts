// A snapshot for a reader that cannot take the table's lock, because taking it writes a
// lock record: a read-only folder, a full disk, a quota reached. Reads must still work
// there, and still show only committed rows.
import { open } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { ConflictError } from "@themis/core";
import { type SeenLock, readLock, sameFile } from "./lock-record.js";
import { BACKEND_NAME } from "./names.js";
import type { Snapshot } from "./snapshot-read.js";

/** The same lock, and the same committed length in it, at both looks. */
function sameLock(a: SeenLock | undefined, b: SeenLock | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const [x, y] = [a.record?.committed, b.record?.committed];
  const sameCommit = x === undefined || y === undefined ? x === y : sameFile(x, y) && x.size === y.size;
  return a.ino === b.ino && a.record?.token === b.record?.token && sameCommit;
}

/**
 * A snapshot of the table at `path` taken without its lock at `lockPath`: the lock record
 * is read before and after the file is opened, and the snapshot is kept only when nothing
 * changed between the two looks (else it is taken again, up to `timeoutMs`). Then:
 *
 * - a lock whose committed length names this file: the snapshot ends there. What lies past
 *   it is a write in flight, or the unfinished write of a writer that died holding the lock
 *   (which the lock's next holder moves aside; a reader without the lock leaves it be).
 * - a lock that names no committed length of this file: its holder has not appended to it
 *   (a holder records the file as committed before appending to it), so all of it is whole.
 * - no lock at either look: the file is whole unless a writer came and went in between,
 *   which a second size check of the open file tells (appends only grow it).
 *
 * `look` reads the lock record (the tests give a lock that changes at every look).
 */
export async function unlockedSnapshot(
  path: string,
  lockPath: string,
  timeoutMs: number,
  look: (lockPath: string) => SeenLock | undefined = readLock,
): Promise<Snapshot> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    const before = look(lockPath);
    const handle = await open(path, "r");
    try {
      const file = await handle.stat();
      const after = look(lockPath);
      if (sameLock(before, after)) {
        const committed = after?.record?.committed;
        if (committed && sameFile(committed, file)) {
          return { handle, size: Math.min(committed.size, file.size) };
        }
        if (after !== undefined || (await handle.stat()).size === file.size) return { handle, size: file.size };
      }
    } catch (error) {
      await handle.close();
      throw error;
    }
    await handle.close();
    if (Date.now() - started >= timeoutMs) {
      throw new ConflictError(`${path} kept changing while read without its lock (${lockPath} cannot be written here); gave up after ${timeoutMs} ms`, {
        backend: BACKEND_NAME,
      });
    }
    await sleep(Math.min(1 + attempt, 20));
  }
}
