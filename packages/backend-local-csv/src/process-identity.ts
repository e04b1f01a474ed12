import { readFileSync } from "node:fs";
import { hostname } from "node:os";

/**
 * Who a process is, in a way that survives pid reuse: host name, the kernel's boot id and
 * the process's start time (Linux: field 22 of `/proc/<pid>/stat`, in clock ticks since
 * boot). A pid alone is not enough: a writer killed long ago may share its pid with an
 * unrelated process that runs now.
 */
export interface ProcessIdentity {
  host: string;
  pid: number;
  /** Kernel boot id (Linux); undefined where unknown. */
  boot?: string | undefined;
  /** Start time of the process since boot (Linux); undefined where unknown. */
  start?: string | undefined;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined; // not Linux, or /proc not mounted, or the process is gone
  }
}

/** Start time of `pid` (field 22 of /proc/<pid>/stat), or undefined when unknown. */
export function processStart(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // Field 2 (the command name) is in parentheses and may contain spaces or ")": split after the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[22 - 3];
}

const BOOT_ID = readText("/proc/sys/kernel/random/boot_id");

/** This process. */
export const SELF: ProcessIdentity = { host: hostname(), pid: process.pid, boot: BOOT_ID, start: processStart(process.pid) };

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether the process `who` still runs: true or false for a process of this host,
 * undefined for one of another host (only its lock's age can tell).
 */
export function isRunning(who: ProcessIdentity): boolean | undefined {
  if (who.host !== SELF.host) return undefined;
  if (who.boot !== undefined && SELF.boot !== undefined && who.boot !== SELF.boot) return false; // rebooted since
  if (who.pid === SELF.pid) return who.start === undefined || who.start === SELF.start;
  if (!pidExists(who.pid)) return false;
  if (who.start === undefined) return true; // only the pid is known: it runs
  const start = processStart(who.pid);
  return start === undefined || start === who.start;
}
