import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";

/**
 * Who a process is, so that another process can tell whether it still runs without waiting
 * for its heartbeat or lock to go stale: host name, pid, and on Linux the kernel's boot id,
 * the pid namespace and the process's start time. A pid alone is not enough: a process
 * killed long ago may share its pid with one that runs now (the start time tells them
 * apart), and two containers on one host (same host name with `--network host`, same boot
 * id) each number their own processes (the pid namespace tells that a pid means nothing here).
 */
export interface ProcessIdentity {
  host: string;
  pid: number;
  /** Kernel boot id (Linux); undefined or null where unknown. */
  boot?: string | null | undefined;
  /** Start time of the process in clock ticks since boot (Linux); undefined or null where unknown. */
  start?: string | null | undefined;
  /** The pid namespace (Linux, e.g. "pid:[4026531836]"); undefined or null where unknown. */
  pidns?: string | null | undefined;
}

function readText(read: () => string): string | undefined {
  try {
    return read().trim();
  } catch {
    return undefined; // not Linux, /proc not mounted, or the process is gone
  }
}

/** Fields 3 (state) onwards of `/proc/<pid>/stat`, or undefined when unknown. */
function statFields(pid: number): string[] | undefined {
  const stat = readText(() => readFileSync(`/proc/${pid}/stat`, "utf8"));
  // Field 2 (the command name) is in parentheses and may contain spaces or ")": split after the last ")".
  return stat === undefined ? undefined : stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/** Start time of `pid` (field 22 of `/proc/<pid>/stat`), or undefined when unknown. */
export function processStart(pid: number): string | undefined {
  return statFields(pid)?.[22 - 3];
}

/** This process. */
export const currentProcess: Readonly<ProcessIdentity> = Object.freeze({
  host: hostname(),
  pid: process.pid,
  boot: readText(() => readFileSync("/proc/sys/kernel/random/boot_id", "utf8")),
  start: processStart(process.pid),
  pidns: readText(() => readlinkSync("/proc/self/ns/pid")),
});

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

const known = (value: string | null | undefined): value is string => typeof value === "string" && value !== "";

/**
 * Whether the process `who` still runs, as far as this process can see: true or false for a
 * process of this host, boot and pid namespace, undefined when it cannot tell (another host,
 * another boot, another pid namespace: only a heartbeat's or a lock's age can tell then). An identity
 * written by an older version, without boot id, start time or namespace, is judged on what
 * it has.
 */
export function processRunning(who: ProcessIdentity, self: ProcessIdentity = currentProcess): boolean | undefined {
  if (who.host !== self.host) return undefined;
  // Another boot id: rebooted since, or another machine that has this host name (cloned VMs,
  // containers given one name): a pid says nothing then, and taking a live process for dead
  // would break its lock or take its work.
  if (known(who.boot) && known(self.boot) && who.boot !== self.boot) return undefined;
  if (known(who.pidns) && known(self.pidns) && who.pidns !== self.pidns) return undefined;
  if (who.pid === self.pid) return !known(who.start) || who.start === self.start;
  if (!pidExists(who.pid)) return false;
  const fields = statFields(who.pid);
  // A zombie (exited, not yet reaped by its parent: a busy or careless supervisor, or a
  // container whose pid 1 does not reap) still answers kill(pid, 0) but runs no more.
  if (fields?.[0] === "Z" || fields?.[0] === "X") return false;
  if (!known(who.start)) return true; // only the pid is known: it runs
  const start = fields?.[22 - 3];
  return start === undefined || start === who.start;
}
