import { randomBytes } from "node:crypto";
import { closeSync, fstatSync, futimes, linkSync, openSync, renameSync, unlinkSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { ConflictError } from "@themis/core";
import { currentProcess } from "@themis/core/backend";
import { faultDelay } from "./fault.js";
import { heldNoMore, holdUntilExit } from "./held-locks.js";
import { lockLostError, lockTimeoutError } from "./lock-errors.js";
import {
  claimLock,
  dropClaims,
  exists,
  ignoreErrors,
  LockWatch,
  lockKey,
  readLock,
  readRecordFd,
  writeRecord,
  type CommittedTable,
  type LockRecord,
  type SeenLock,
} from "./lock-record.js";

/** Options of a {@link TableLock}. */
export interface TableLockOptions {
  /** An owner on another host whose lock was not refreshed for this long is presumed dead. */
  staleMs: number;
  /** Give up with ConflictError after waiting this long. */
  timeoutMs: number;
}

// While waiting, look at the owner this often (not on every retry: that is extra I/O for
// every contender on a busy table).
const OWNER_CHECK_MS = 50;
// A lease not used for this long is given back (another process may want the table later).
const LEASE_IDLE_MS = 20;
// After handing the lock to a waiter, let it take the lock before contending again.
const HANDOVER_MS = 50;
// How often a holder looks for a waiter's marker.
const MARKER_CHECK_MS = 2;
// Longest sleep between two attempts of a waiter.
const MAX_BACKOFF_MS = 5;

const isCode = (error: unknown, code: string): boolean => (error as NodeJS.ErrnoException | undefined)?.code === code;

/**
 * The cross-process lock of one table: `<table>.lock`, a file holding its owner's
 * identity (host, boot id, pid, process start time), a random token, and the committed
 * length of the table (see {@link CommittedTable}).
 *
 * - **Taking** a free lock: the record is written to a private file first, then
 *   `link()`ed to the lock path (fails if it exists): a lock file is never empty or half
 *   written.
 * - **Holding** it as a lease: kept across operations while they flow, given back after
 *   {@link LEASE_IDLE_MS} idle, or right after the current operation when another process
 *   waits (it leaves a `<table>.lock.wait` marker).
 * - **Breaking** a lock: only when its owner is a process of this host that no longer runs
 *   (whatever the lock's age: a live owner is never broken), or, for an owner on another
 *   host, when the waiter has not seen it refreshed for `staleMs` (its own clock: see
 *   {@link LockWatch}). One atomic step: the breaker claims the stale
 *   lock by its token (O_EXCL `.claim-<token>-<k>`, so one breaker wins), then `rename()`s
 *   its own record, carrying the dead owner's committed length, over the lock.
 * - **Verifying** ownership is one `fstat`: a lock replaced or removed has no links left.
 */
export class TableLock {
  readonly path: string;
  readonly #options: TableLockOptions;
  readonly #marker: string;
  #fd: number | undefined;
  #record: LockRecord | undefined;
  #busy = 0;
  #heartbeat: NodeJS.Timeout | undefined;
  #idle: NodeJS.Timeout | undefined;
  #yieldUntil = 0;
  #nextMarkerCheck = 0;
  // Judges claims on our own lock across the attempts of a release held up by one.
  readonly #claimWatch: LockWatch;

  constructor(path: string, options: TableLockOptions) {
    this.path = path;
    this.#options = options;
    this.#marker = `${path}.wait`;
    this.#claimWatch = new LockWatch(options.staleMs);
  }

  /** The committed length recorded in the held lock. */
  get committed(): CommittedTable | undefined {
    return this.#record?.committed;
  }

  /** Whether this process holds the lock right now (one fstat: a replaced or removed lock has no links). */
  owned(): boolean {
    if (this.#fd === undefined) return false;
    try {
      return fstatSync(this.#fd).nlink > 0;
    } catch {
      return false;
    }
  }

  /**
   * Take the lock, or keep holding the lease. Returns the committed length inherited from a
   * dead owner whose lock was broken: the caller moves aside whatever the table holds past it.
   * Every `acquire` is paired with a {@link done}.
   */
  async acquire(): Promise<{ inherited: CommittedTable | undefined }> {
    if (this.#fd !== undefined) {
      if (this.owned()) {
        this.#busy++;
        return { inherited: undefined };
      }
      this.#drop(); // lost while idle (removed by hand, or broken from another host): take it anew
    }
    if (Date.now() < this.#yieldUntil) await this.#letWaiterIn();
    const record: LockRecord = { ...currentProcess, token: randomBytes(8).toString("hex"), since: new Date().toISOString() };
    const temp = `${this.path}.${record.token}.new`;
    const fd = openSync(temp, "wx");
    try {
      writeRecord(fd, record);
      const inherited = await this.#contend(fd, record, temp);
      this.#hold(fd, record);
      return { inherited };
    } catch (error) {
      closeSync(fd);
      ignoreErrors(() => unlinkSync(temp));
      throw error;
    }
  }

  async #contend(fd: number, record: LockRecord, temp: string): Promise<CommittedTable | undefined> {
    const started = Date.now();
    let delay = 0.25;
    let nextCheck = 0;
    let last: SeenLock | undefined;
    // One watch per wait: a lock of another host is judged by whether it changes while we wait.
    const watch = new LockWatch(this.#options.staleMs);
    for (;;) {
      try {
        linkSync(temp, this.path);
        unlinkSync(temp);
        return undefined;
      } catch (error) {
        if (!isCode(error, "EEXIST")) throw error;
      }
      const now = Date.now();
      if (now >= nextCheck) {
        nextCheck = now + OWNER_CHECK_MS;
        last = readLock(this.path);
        if (last === undefined) continue; // released meanwhile
        if (watch.abandoned(last)) {
          const taken = this.#takeOver(last, fd, record, temp, watch);
          if (taken) return taken.inherited;
          continue;
        }
      }
      if (now - started >= this.#options.timeoutMs) throw lockTimeoutError(this.path, last?.record, this.#options);
      // Tell the holder someone waits: it hands the lock over after its current operation.
      if (!exists(this.#marker)) ignoreErrors(() => closeSync(openSync(this.#marker, "a")));
      await sleep(delay * (0.5 + Math.random()));
      delay = Math.min(delay * 2, MAX_BACKOFF_MS);
    }
  }

  /**
   * Replace an abandoned lock by ours in one rename, after claiming it so that only one
   * breaker acts. Undefined when another breaker got there first or it changed meanwhile.
   */
  #takeOver(seen: SeenLock, fd: number, record: LockRecord, temp: string, watch: LockWatch): { inherited: CommittedTable | undefined } | undefined {
    const claims = claimLock(this.path, lockKey(seen), record, (claim) => watch.abandoned(claim));
    if (!claims) return undefined;
    try {
      let old: number;
      try {
        old = openSync(this.path, "r");
      } catch (error) {
        if (isCode(error, "ENOENT")) return undefined;
        throw error;
      }
      try {
        const before = readRecordFd(old);
        if (fstatSync(old).ino !== seen.ino || before?.token !== seen.record?.token) return undefined;
        // The dead owner's committed length travels in our record: if we die before moving
        // its unfinished write aside, whoever breaks our lock does it.
        record.committed = before?.committed;
        writeRecord(fd, record);
        faultDelay("takeover");
        // Our claim is gone when another breaker judged it abandoned (a claim of another
        // host unchanged for staleMs: this process was stopped that long) and took the lock.
        if (!exists(claims.at(-1)!)) return undefined;
        renameSync(temp, this.path);
        faultDelay("taken");
        // An owner on another host judged stale may still have committed more meanwhile
        // (it then fails its own ownership check and reports the write as lost).
        const after = readRecordFd(old)?.committed;
        if (after && after.size !== record.committed?.size) {
          record.committed = after;
          writeRecord(fd, record);
        }
        return { inherited: record.committed };
      } finally {
        closeSync(old);
      }
    } finally {
      dropClaims(claims);
    }
  }

  #hold(fd: number, record: LockRecord): void {
    this.#fd = fd;
    this.#record = record;
    this.#busy = 1;
    holdUntilExit(this);
    // Our own wait marker (if any) is done; other waiters put theirs back within a few ms.
    ignoreErrors(() => unlinkSync(this.#marker));
    // Refresh the mtime while held: owners on other hosts are judged by it.
    this.#heartbeat = setInterval(() => futimes(fd, new Date(), new Date(), () => undefined), Math.max(250, Math.floor(this.#options.staleMs / 4)));
    this.#heartbeat.unref();
  }

  /** Record that `[0, table.size)` of the table is committed (one pwrite into the lock file). */
  commit(table: CommittedTable): void {
    const record = this.#record!;
    record.committed = { dev: table.dev, ino: table.ino, birthtimeMs: table.birthtimeMs, size: table.size };
    writeRecord(this.#fd!, record);
  }

  /** The lock was lost: the error for the operation that found out. */
  lostError(describe: string): ConflictError {
    return lockLostError(describe, this.path, this.#options.staleMs);
  }

  /** End of one operation: hand the lock to a waiting process now, or keep it as a lease until idle. */
  done(): void {
    if (this.#busy > 0) this.#busy--;
    if (this.#busy > 0 || this.#fd === undefined) return;
    // Look for a waiter at most every MARKER_CHECK_MS: one stat call saved on most
    // operations of a busy writer; a waiter gets the lock a few ms later at worst.
    const now = Date.now();
    let waiter = false;
    if (now >= this.#nextMarkerCheck) {
      this.#nextMarkerCheck = now + MARKER_CHECK_MS;
      waiter = exists(this.#marker);
    }
    if (waiter) {
      this.release();
      this.#yieldUntil = Date.now() + HANDOVER_MS;
      return;
    }
    if (this.#idle) this.#idle.refresh();
    else {
      this.#idle = setTimeout(() => {
        if (this.#busy === 0) this.release();
      }, LEASE_IDLE_MS);
      this.#idle.unref();
    }
  }

  /**
   * Give the lock back unless an operation is in flight (the process exits in the middle
   * of a write: the lock stays, and its next holder, finding this process gone, rolls back
   * to the committed length).
   */
  releaseIfIdle(): void {
    if (this.#busy === 0) this.release();
  }

  /**
   * Give the lock back (removing the lock file only while it is still ours). Idempotent.
   * Held up by a claim on our lock (a breaker inside its takeover, or one killed there), it
   * keeps the lock and tries again every {@link OWNER_CHECK_MS}: leaving the file behind
   * would keep every other process of this host waiting for as long as this one runs.
   */
  release(): void {
    if (this.#fd === undefined) return;
    if (this.owned() && !this.#removeOwnLock()) {
      clearTimeout(this.#idle);
      this.#idle = setTimeout(() => {
        this.#idle = undefined;
        if (this.#busy === 0) this.release();
      }, OWNER_CHECK_MS);
      this.#idle.unref();
      return;
    }
    this.#drop();
  }

  /**
   * Remove our lock file, claimed like a breaker would claim it: a breaker on another host
   * cannot replace the lock between our check and our unlink (we would remove its lock
   * instead of ours). False while a claim on it stands and the lock is still ours.
   */
  #removeOwnLock(): boolean {
    let claims: string[] | undefined;
    try {
      claims = claimLock(this.path, lockKey({ record: this.#record, ino: 0, mtimeMs: 0 }), this.#record!, (claim) => this.#claimWatch.abandoned(claim));
    } catch {
      return true; // the folder is gone (table or project deleted): nothing to remove
    }
    if (!claims) return !this.owned();
    if (this.owned()) ignoreErrors(() => unlinkSync(this.path));
    dropClaims(claims);
    return true;
  }

  #drop(): void {
    clearInterval(this.#heartbeat);
    clearTimeout(this.#idle);
    this.#heartbeat = this.#idle = undefined;
    if (this.#fd !== undefined) ignoreErrors(() => closeSync(this.#fd!));
    this.#fd = this.#record = undefined;
    this.#busy = 0;
    heldNoMore(this);
  }

  /** We just handed the lock over: give the waiter a moment to take it before contending. */
  async #letWaiterIn(): Promise<void> {
    while (Date.now() < this.#yieldUntil && !exists(this.path)) await sleep(1);
    this.#yieldUntil = 0;
  }
}
