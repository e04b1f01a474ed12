import { closeSync, fstatSync, openSync, readSync, statSync, unlinkSync, writeSync } from "node:fs";
import { CLOCK_SKEW_TOLERANCE_MS } from "@themis/core";
import { type ProcessIdentity, processRunning } from "@themis/core/backend";

/**
 * The table file as its lock holder last vouched for it: `[0, size)` of the file with
 * this identity is committed (every byte of it complete and acknowledged or readable).
 * Bytes past `size`, while the holder is dead, are an unfinished write: the next holder
 * moves them aside before anything reads them.
 */
export interface CommittedTable {
  dev: number;
  ino: number;
  birthtimeMs: number;
  size: number;
}

/** What tells one file apart from another at the same path (inode numbers get reused: the birth time too). */
export type FileIdentity = Pick<CommittedTable, "dev" | "ino" | "birthtimeMs">;

/** Whether `a` and `b` are the same file, not merely the same path. */
export function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.birthtimeMs === b.birthtimeMs;
}

/** The content of a lock file (or of a takeover claim). */
export interface LockRecord extends ProcessIdentity {
  token: string;
  since: string;
  committed?: CommittedTable | undefined;
}

// Records are padded to a fixed size, so an update overwrites the old one whole in one
// pwrite, with no truncate in between.
const RECORD_BYTES = 1024;

export function encodeRecord(record: LockRecord): Buffer {
  const json = JSON.stringify(record);
  const buffer = Buffer.alloc(Math.max(RECORD_BYTES, Buffer.byteLength(json)), 0x20);
  buffer.write(json, 0, "utf8");
  return buffer;
}

/** Overwrite the record of an open lock file in place. */
export function writeRecord(fd: number, record: LockRecord): void {
  const buffer = encodeRecord(record);
  for (let offset = 0; offset < buffer.length; ) offset += writeSync(fd, buffer, offset, buffer.length - offset, offset);
}

/** The record of an open lock file; undefined when it is not one (garbled, hand-made). */
export function readRecordFd(fd: number): LockRecord | undefined {
  const buffer = Buffer.alloc(RECORD_BYTES * 2);
  let read = 0;
  for (let n = -1; n !== 0 && read < buffer.length; read += n) n = readSync(fd, buffer, read, buffer.length - read, read);
  try {
    const record = JSON.parse(buffer.toString("utf8", 0, read).trim()) as LockRecord;
    return typeof record.pid === "number" && typeof record.token === "string" && typeof record.host === "string" ? record : undefined;
  } catch {
    return undefined;
  }
}

/** A lock file as seen by a contender: its record (if readable), inode and age. */
export interface SeenLock {
  record: LockRecord | undefined;
  ino: number;
  mtimeMs: number;
}

/** Read the lock file at `path`; undefined when there is none. */
export function readLock(path: string): SeenLock | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const info = fstatSync(fd);
    return { record: readRecordFd(fd), ino: info.ino, mtimeMs: info.mtimeMs };
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether the holder of a lock (or of a claim) is gone, at a single look: a process of this
 * host that no longer runs (whatever the age: a live one is never judged dead), or, for a
 * holder on another host (a shared file system), a file whose mtime is older than `staleMs`
 * plus core's `CLOCK_SKEW_TOLERANCE_MS` (hosts' clocks may disagree by minutes: a younger
 * one needs watching, see {@link LockWatch}).
 */
export function isAbandoned(seen: SeenLock, staleMs: number, now = Date.now()): boolean {
  const running = holderRunning(seen);
  return running === undefined ? longAbandoned(seen, staleMs, now) : !running;
}

/** Whether the lock's holder runs, when this process can tell (see core's `processRunning`). */
function holderRunning(seen: SeenLock): boolean | undefined {
  return seen.record ? processRunning(seen.record) : undefined;
}

/** A file older than `staleMs` plus the clock skew other hosts may have: abandoned whatever their clocks say. */
function longAbandoned(seen: SeenLock, staleMs: number, wallNow: number): boolean {
  return wallNow - seen.mtimeMs > staleMs + CLOCK_SKEW_TOLERANCE_MS;
}

/**
 * Judges the locks a contender keeps finding, on its own clock (as core's `HeartbeatWatch`
 * judges runs): the holder of a lock on another host is gone once the lock file's mtime
 * (refreshed by a live holder every `staleMs / 4`) has not changed for `staleMs` of this
 * process's monotonic clock. Comparing that mtime with this host's wall clock would break
 * live locks of a host whose clock is behind, and wait on dead ones of a host ahead. Only
 * a lock older than `staleMs` plus `CLOCK_SKEW_TOLERANCE_MS` at first sight is gone at once
 * ({@link isAbandoned}). Holders on this host are judged by their process, as there.
 */
export class LockWatch {
  readonly #staleMs: number;
  readonly #now: () => number;
  /** Lock (inode and token) -> the mtime last seen, and when it was first seen. */
  readonly #seen = new Map<string, { mtimeMs: number; since: number }>();

  constructor(staleMs: number, now: () => number = () => performance.now()) {
    this.#staleMs = staleMs;
    this.#now = now;
  }

  abandoned(seen: SeenLock, wallNow = Date.now()): boolean {
    const running = holderRunning(seen);
    if (running !== undefined) return !running;
    const key = `${seen.ino}:${seen.record?.token ?? ""}`;
    const known = this.#seen.get(key);
    const now = this.#now();
    if (known === undefined && longAbandoned(seen, this.#staleMs, wallNow)) return true;
    if (known === undefined || known.mtimeMs !== seen.mtimeMs) {
      // First sight, or refreshed since the last look: alive, watched afresh from now.
      if (known === undefined && this.#seen.size > 64) this.#seen.clear(); // locks long gone
      this.#seen.set(key, { mtimeMs: seen.mtimeMs, since: now });
      return false;
    }
    return now - known.since > this.#staleMs;
  }
}

/** The name under which a lock's takeover is claimed: only one breaker per stale lock. */
export function lockKey(seen: SeenLock): string {
  return seen.record ? seen.record.token.replace(/[^0-9a-zA-Z]/g, "") : `ino${seen.ino}`;
}

/**
 * Claim the right to replace (or remove) the lock identified by `key`: create
 * `<lock>.claim-<key>-<k>` with O_EXCL. A claim whose claimant is `abandoned` is skipped
 * (k+1), so a breaker killed mid-takeover blocks no one for long; a live one makes this one
 * give up. Callers judge claims with a {@link LockWatch} kept across their attempts: a claim
 * is never refreshed, so one of another host, or an empty one (its claimant killed between
 * creating and writing it), is gone once it stayed the same for `staleMs`.
 * Returns the claim files to remove when done, or undefined when someone else holds it.
 */
export function claimLock(lockPath: string, key: string, me: LockRecord, abandoned: (claim: SeenLock) => boolean): string[] | undefined {
  const claims: string[] = [];
  for (let k = 1; ; k++) {
    const claim = `${lockPath}.claim-${key}-${k}`;
    claims.push(claim);
    let fd: number;
    try {
      fd = openSync(claim, "wx");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const other = readLock(claim);
      if (other && !abandoned(other)) return undefined;
      continue;
    }
    // The claim is the file's creation; its record only lets others judge a claimant that
    // died holding it. Written best effort: on a full disk an empty claim (judged as one of
    // another host) must still let a holder give its lock back.
    ignoreErrors(() => writeRecord(fd, me));
    closeSync(fd);
    return claims;
  }
}

/** Remove claim files (best effort: a leftover one of a dead claimant is skipped by the next). */
export function dropClaims(claims: readonly string[]): void {
  for (const claim of claims) ignoreErrors(() => unlinkSync(claim));
}

export function ignoreErrors(fn: () => void): void {
  try {
    fn();
  } catch {
    // best effort
  }
}

/** Whether a file exists (one stat call; no exception built when it does not: this runs after every operation). */
export function exists(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return false;
  }
}
