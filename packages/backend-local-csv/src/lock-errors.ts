import { ConflictError } from "@themis/core";
import { processRunning } from "@themis/core/backend";
import type { LockRecord } from "./lock-record.js";
import { BACKEND_NAME } from "./names.js";

/** The lock was lost during a write: the error for the operation that found out. */
export function lockLostError(describe: string, lockPath: string, staleMs: number): ConflictError {
  return new ConflictError(
    `${describe}: this process lost the lock ${lockPath} during the write (removed by hand, or broken from another host after ${staleMs} ms without a refresh); the write was not acknowledged and is rolled back by the lock's next holder`,
    { backend: BACKEND_NAME },
  );
}

/**
 * A wait for the lock gave up. It names the holder and what this process made of it, which
 * tells a busy holder from a stuck protocol.
 */
export function lockTimeoutError(lockPath: string, owner: LockRecord | undefined, options: { staleMs: number; timeoutMs: number }): ConflictError {
  let who = "";
  if (owner) {
    const running = processRunning(owner);
    const state =
      running === true
        ? "which still runs"
        : running === false
          ? `which no longer runs, but a claim on its lock (${lockPath}.claim-*) kept it from being broken: another process's takeover, or one left by a killed process, skipped once unchanged for ${options.staleMs} ms`
          : `on another host or in another container: broken once unrefreshed for ${options.staleMs} ms`;
    who = ` by process ${owner.pid} on ${owner.host} (${state}) since ${owner.since}`;
  }
  return new ConflictError(
    `${lockPath} is locked${who}; gave up after ${options.timeoutMs} ms (raise lockTimeoutMs, or delete the lock file if that process no longer runs)`,
    { backend: BACKEND_NAME },
  );
}
