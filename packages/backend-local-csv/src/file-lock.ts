import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, utimes, writeSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { ConflictError } from "@themis/core";
import { BACKEND_NAME } from "./names.js";

/**
 * Where an append starts: noted in the lock file just before the write, so that if the
 * owner dies holding the lock, whoever breaks it knows which bytes were never acknowledged.
 */
export interface AppendIntent {
  dev: number;
  ino: number;
  birthtimeMs: number;
  /** File size before the append: the bytes from here on belong to the unfinished batch. */
  from: number;
}

/** Who holds a lock: written into the lock file so others can tell a dead owner. */
export interface LockOwner {
  pid: number;
  host: string;
  token: string;
  since: string;
  appending?: AppendIntent | undefined;
}

/** Options of {@link acquireFileLock}. */
export interface FileLockOptions {
  /** A lock not refreshed for this long is stale (its owner hung or runs on another host). */
  staleMs: number;
  /** Give up with ConflictError after waiting this long. */
  timeoutMs: number;
  /**
   * Where to leave the append intent of a dead owner when breaking its lock (see
   * {@link FileLock.noteAppend}); the next holder applies it.
   */
  pendingPath: string;
}

/** A held lock. `release` is idempotent. */
export interface FileLock {
  /**
   * Record that an append starting at `intent.from` is about to be written. If this
   * process dies before releasing, the breaker of the lock moves those bytes to
   * `pendingPath`, and the next holder takes them out of the table.
   */
  noteAppend(intent: AppendIntent): Promise<void>;
  release(): Promise<void>;
}

// The lock file's content is padded to a fixed size, so the intent (a longer record)
// overwrites it whole in one pwrite, with no truncate in between.
const LOCK_RECORD_BYTES = 1024;

function lockRecord(owner: LockOwner): Buffer {
  const json = JSON.stringify(owner);
  const record = Buffer.alloc(Math.max(LOCK_RECORD_BYTES, Buffer.byteLength(json)), 0x20);
  record.write(json, 0, "utf8");
  return record;
}

const HOST = hostname();
// A lock file is created (O_EXCL) and then written: empty for microseconds. Empty for
// this long means its creator died in between.
const EMPTY_GRACE_MS = 1000;
// While waiting, look at the owner this often (not on every retry: that is extra I/O
// for every contender on a busy table).
const OWNER_CHECK_MS = 50;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The owner recorded in a lock (or pending) file; undefined when missing or not written yet. */
export function readOwner(path: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(path, "utf8").trim()) as LockOwner;
    return typeof owner.pid === "number" && typeof owner.token === "string" ? owner : undefined;
  } catch {
    return undefined; // missing, or created but not written yet
  }
}

function isEexist(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "EEXIST";
}

/**
 * Take an exclusive cross-process lock: a file next to the table, created with O_EXCL,
 * holding the owner's pid, host and a random token, its mtime refreshed while held.
 *
 * A lock is broken when its owner is a process of this host that no longer runs (a writer
 * killed with SIGKILL: noticed within milliseconds, not after a timeout), when it was not
 * refreshed for `staleMs` (hung owner, or another host on a shared file system), or when
 * it stayed empty (its creator died between creating and writing it). Breaking renames
 * the lock file away first, so of two processes breaking the same stale lock one wins;
 * if the dead owner had noted an append, the winner leaves that note at `pendingPath`.
 *
 * proper-lockfile was not used because it can only judge staleness by age: every writer
 * killed mid-append would stall the others for the whole stale period.
 *
 * The lock's file operations are synchronous on purpose: each is a metadata call of a few
 * microseconds on a local disk, while going through libuv's thread pool costs a round
 * trip each (about 0.05 ms of CPU); with ~6 of them per append, that was most of the cost
 * of a one-row append. Waiting for a held lock never blocks: it sleeps between attempts.
 */
export async function acquireFileLock(path: string, options: FileLockOptions): Promise<FileLock> {
  const owner: LockOwner = { pid: process.pid, host: HOST, token: randomBytes(8).toString("hex"), since: new Date().toISOString() };
  const content = lockRecord(owner);
  let fd: number | undefined;
  const started = Date.now();
  let delay = 0.5;
  let nextOwnerCheck = 0;
  let lastOwner: LockOwner | undefined;
  for (;;) {
    try {
      fd = openSync(path, "wx");
    } catch (error) {
      if (!isEexist(error)) throw error;
    }
    if (fd !== undefined) {
      try {
        writeSync(fd, content, 0, content.length, 0);
      } catch (error) {
        closeSync(fd);
        ignoreErrors(() => unlinkSync(path));
        throw error;
      }
      break;
    }
    const now = Date.now();
    if (now >= nextOwnerCheck) {
      nextOwnerCheck = now + OWNER_CHECK_MS;
      lastOwner = readOwner(path);
      if (breakIfStale(path, lastOwner, options)) continue;
    }
    if (now - started >= options.timeoutMs) {
      const who = lastOwner ? ` by process ${lastOwner.pid} on ${lastOwner.host} since ${lastOwner.since}` : "";
      throw new ConflictError(
        `${path} is locked${who}; gave up after ${options.timeoutMs} ms (raise lockTimeoutMs, or delete the lock file if that process no longer runs)`,
        { backend: BACKEND_NAME },
      );
    }
    // Jittered backoff: contenders do not retry in lockstep.
    await sleep(delay * (0.5 + Math.random()));
    delay = Math.min(delay * 2, 20);
  }
  const acquired = Date.now();

  // Refresh the mtime while held, so long rewrites are not mistaken for a hung owner.
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(path, now, now, () => undefined);
  }, Math.max(250, Math.floor(options.staleMs / 3)));
  heartbeat.unref();

  const held = fd!;
  let released = false;
  return {
    async noteAppend(intent) {
      const record = lockRecord({ ...owner, appending: intent });
      writeSync(held, record, 0, record.length, 0);
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      ignoreErrors(() => closeSync(held));
      // Held briefly, with a heartbeat, by a live process: nobody can have judged it stale.
      // Held long (the event loop may have been blocked past staleMs): check it is still ours.
      if (Date.now() - acquired > options.staleMs / 2 && readOwner(path)?.token !== owner.token) return;
      ignoreErrors(() => unlinkSync(path));
    },
  };
}

function ignoreErrors(fn: () => void): void {
  try {
    fn();
  } catch {
    // best effort: the file is gone already, or will be judged stale
  }
}

function breakIfStale(path: string, owner: LockOwner | undefined, options: FileLockOptions): boolean {
  const staleMs = options.staleMs;
  let stale = owner !== undefined && owner.host === HOST && owner.pid !== process.pid && !isAlive(owner.pid);
  if (!stale) {
    try {
      const age = Date.now() - statSync(path).mtimeMs;
      stale = age > staleMs || (owner === undefined && age > EMPTY_GRACE_MS);
    } catch {
      return true; // released meanwhile: try again at once
    }
  }
  if (!stale) return false;
  const aside = `${path}.stale-${randomBytes(6).toString("hex")}`;
  try {
    renameSync(path, aside);
  } catch {
    return true; // someone else broke or released it first
  }
  const moved = readOwner(aside);
  if (moved?.token !== owner?.token) {
    // Between our check and the rename another process broke the stale lock and took a
    // fresh one: put it back. link() never replaces an existing file, so if a third
    // process took the lock in between, that one is kept.
    ignoreErrors(() => linkSync(aside, path));
  } else if (moved?.appending) {
    // The owner died in the middle of an append: hand its intent to the next holder, who
    // takes the unacknowledged bytes out of the table before anything else happens.
    ignoreErrors(() => linkSync(aside, options.pendingPath));
  }
  ignoreErrors(() => unlinkSync(aside));
  return true;
}
