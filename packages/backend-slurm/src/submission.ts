import { JobFailedError } from "@themis/core";
import type { FinalState } from "./job-states.js";
import type { JobWatcher } from "./job-watcher.js";
import { BACKEND_NAME } from "./labels.js";
import { type SlurmCli, slurm } from "./slurm-cli.js";

/** Submit a batch script; resolves with the SLURM job id (`sbatch --parsable` prints "id" or "id;cluster"). */
export async function submitJob(cli: SlurmCli, script: string): Promise<string> {
  const out = await slurm(cli, "sbatch", ["--parsable", script], "submitting a job");
  const id = out.trim().split(";")[0] ?? "";
  if (!/^\d+(_\d+)?$/.test(id))
    throw new JobFailedError(`sbatch answered ${JSON.stringify(out.trim().slice(0, 200))} instead of a job id`, { backend: BACKEND_NAME });
  return id;
}

/**
 * scancel a job: SLURM sends SIGTERM to every process of the job, then SIGKILL after
 * slurm.conf's KillWait. A job that has already ended is not an error.
 */
export async function cancelJob(cli: SlurmCli, jobId: string): Promise<void> {
  try {
    await slurm(cli, "scancel", [jobId], `cancelling job ${jobId}`);
  } catch (error) {
    if (/already completed|invalid job id/i.test(String((error as Error).message))) return;
    throw error;
  }
}

/** Resolves when `signal` aborts (at once if it has); `dispose` removes the listener. */
function aborted(signal: AbortSignal): { promise: Promise<void>; dispose: () => void } {
  let dispose = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const listener = (): void => resolve();
    signal.addEventListener("abort", listener, { once: true });
    dispose = () => signal.removeEventListener("abort", listener);
  });
  return { promise, dispose };
}

/** `promise`'s value, or undefined once `ms` have passed. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Wait for a submitted job's end state. When `signal` aborts first, the job is scancel-ed
 * and still waited for (up to `cancelWaitMs`): the caller learns the job's end only once
 * SLURM has ended it, so nothing keeps running behind a "cancelled" result.
 */
export async function waitForEnd(
  watcher: JobWatcher,
  jobId: string,
  signal: AbortSignal,
  cancel: () => Promise<void>,
  cancelWaitMs: number,
): Promise<{ final: FinalState | undefined; stopped: boolean }> {
  const ended = watcher.wait(jobId);
  const stop = aborted(signal);
  try {
    const first = await Promise.race([ended.then((final) => ({ final })), stop.promise.then(() => undefined)]);
    if (first) return { final: first.final, stopped: false };
  } catch (error) {
    // squeue failed: the job may still run, so it is cancelled before the error is given.
    await cancel().catch(() => undefined);
    throw error;
  } finally {
    stop.dispose();
  }
  ended.catch(() => undefined);
  await cancel();
  watcher.poke();
  const final = await within(
    ended.catch(() => undefined),
    cancelWaitMs,
  );
  return { final, stopped: true };
}
