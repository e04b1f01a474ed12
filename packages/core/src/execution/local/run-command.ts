import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { commandJobResult } from "../command-result.js";
import type { CommandJob, JobResult, RunContext } from "../contract.js";
import { JobFailedError, toJobError } from "../errors.js";
import { OutputCapture } from "../output.js";

/** Settings of the executor that runs the command. */
export interface CommandSettings {
  readonly backend: string;
  readonly maxOutputBytes: number;
  /** Time between SIGTERM and SIGKILL when a job's processes are stopped. */
  readonly killGraceMs: number;
}

const isWindows = process.platform === "win32";
const POLL_MS = 10;
// Cap on waiting for a SIGKILLed group to vanish (unreaped zombies never do).
const AFTER_KILL_WAIT_MS = 1000;

/**
 * True while a process of the group exists that is not a zombie. A zombie is dead (it only
 * waits for its parent, often init, to collect its exit status, which can take seconds in
 * containers) but still counts for kill(-pgid, 0): on Linux, /proc tells them apart.
 */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  if (process.platform !== "linux") return true;
  try {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      } catch {
        continue; // exited meanwhile
      }
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") return true;
    }
    return false;
  } catch {
    return true;
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (!isWindows && child.pid !== undefined) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // Already gone.
  }
}

const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Make sure no process of the job's group outlives it: SIGTERM what is left, wait up to
 * `graceMs`, then SIGKILL. The job ran in its own process group (spawned detached), so
 * this reaches grandchildren too, e.g. what a shell script started in the background.
 */
async function reapGroup(pgid: number, graceMs: number, alreadyTerminated: boolean): Promise<void> {
  if (!groupAlive(pgid)) return;
  if (!alreadyTerminated) {
    try {
      process.kill(-pgid, "SIGTERM");
    } catch {
      return;
    }
  }
  for (let waited = 0; waited < graceMs && groupAlive(pgid); waited += POLL_MS) await delay(POLL_MS);
  if (!groupAlive(pgid)) return;
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    return;
  }
  for (let waited = 0; waited < AFTER_KILL_WAIT_MS && groupAlive(pgid); waited += POLL_MS) await delay(POLL_MS);
}

function shellInvocation(job: CommandJob): { file: string; args: string[] } {
  const [script = "", ...params] = job.argv;
  if (isWindows) {
    const shell = typeof job.shell === "string" ? job.shell : (process.env.ComSpec ?? "cmd.exe");
    return { file: shell, args: ["/d", "/s", "/c", job.argv.join(" ")] };
  }
  // `sh -c script name args...`: the arguments reach the script as $1..., unquoted-safe.
  return { file: typeof job.shell === "string" ? job.shell : "/bin/sh", args: ["-c", script, "themis-job", ...params] };
}

/**
 * Run a command job as a child process in its own process group, without a shell unless
 * asked. stdout and stderr are captured up to `maxOutputBytes` each. When the signal aborts,
 * the whole group gets SIGTERM, then SIGKILL after `killGraceMs`; the promise resolves once
 * the program has exited and its group is gone.
 */
export function runCommand<T>(job: CommandJob, context: RunContext, settings: CommandSettings): Promise<JobResult<T>> {
  const { signal } = context;
  const start = performance.now();
  const elapsed = (): number => performance.now() - start;
  if (!Array.isArray(job.argv) || job.argv.length === 0 || job.argv.some((a) => typeof a !== "string")) {
    return Promise.resolve({
      ok: false,
      error: toJobError(new JobFailedError("a command job needs argv: a non-empty array of strings", { backend: settings.backend })),
      durationMs: 0,
    });
  }
  if (signal.aborted) return Promise.resolve({ ok: false, error: toJobError(signal.reason), durationMs: 0 });

  const program = job.argv[0]!;
  const { file, args } = job.shell ? shellInvocation(job) : { file: program, args: job.argv.slice(1) };
  const env = job.inheritEnv === false ? { ...job.env } : { ...process.env, ...job.env };
  const maxBytes = job.maxOutputBytes ?? settings.maxOutputBytes;
  const stdout = new OutputCapture(maxBytes);
  const stderr = new OutputCapture(maxBytes);

  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        cwd: job.cwd,
        env,
        stdio: ["pipe", "pipe", "pipe"],
        // Own process group (POSIX): the whole tree can be signalled with kill(-pid).
        detached: !isWindows,
        windowsHide: true,
      });
    } catch (error) {
      resolve({
        ok: false,
        error: toJobError(new JobFailedError(`could not start "${program}"`, { backend: settings.backend, cause: error })),
        durationMs: elapsed(),
      });
      return;
    }
    let stopping = false;
    let spawnError: Error | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let finished = false;

    const onAbort = (): void => {
      if (stopping) return;
      stopping = true;
      signalGroup(child, "SIGTERM");
      killTimer = setTimeout(() => signalGroup(child, "SIGKILL"), settings.killGraceMs);
    };
    signal.addEventListener("abort", onAbort, { once: true });

    child.stdout!.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk));
    // A program that exits without reading its stdin makes our write fail with EPIPE: not a job failure.
    child.stdin!.on("error", () => undefined);
    if (job.stdin !== undefined) child.stdin!.end(job.stdin);
    else child.stdin!.end();

    const finish = async (code: number | null, termSignal: NodeJS.Signals | null): Promise<void> => {
      if (finished) return;
      finished = true;
      signal.removeEventListener("abort", onAbort);
      if (!isWindows && child.pid !== undefined) await reapGroup(child.pid, settings.killGraceMs, stopping);
      clearTimeout(killTimer);
      const details = { exitCode: code, termSignal, stdout: stdout.result(), stderr: stderr.result(), durationMs: elapsed() };
      if (stopping || signal.aborted) {
        resolve({ ok: false, error: toJobError(signal.reason), ...details });
        return;
      }
      if (spawnError) {
        resolve({
          ok: false,
          error: toJobError(new JobFailedError(`could not start "${program}"`, { backend: settings.backend, cause: spawnError })),
          ...details,
        });
        return;
      }
      resolve(commandJobResult<T>(job, details, { backend: settings.backend, maxOutputBytes: maxBytes }));
    };

    child.on("error", (error) => {
      spawnError = error;
      // A process that never started emits no "close" on every Node version: finish here.
      if (child.pid === undefined) void finish(null, null);
    });
    child.on("close", (code, termSignal) => void finish(code, termSignal));
  });
}
