import { execFileSync } from "node:child_process";
import { type Job, type JobResult, parseBackendConfig } from "@themis/core";
import { type SlurmConfigInput, type SlurmExecutor, slurmBackend } from "../src/index.ts";
import type { SlurmTestEnv } from "./env.ts";

/**
 * Validate `config` as the registry would and create the executor on the test cluster. The
 * poll backoff stops at 300 ms: at 1 s every job's end was seen up to a second late, and
 * the conformance suite runs many short jobs one after another.
 */
export async function createSlurmExecutor(env: SlurmTestEnv, config: SlurmConfigInput = {}): Promise<SlurmExecutor> {
  const parsed = parseBackendConfig(slurmBackend, { slurmConf: env.slurmConf, workDir: env.workDir, pollIntervalMs: 100, maxPollIntervalMs: 300, ...config });
  return (await slurmBackend.create(parsed)) as SlurmExecutor;
}

/** Run one job directly (no map), with a signal that never aborts unless given. */
export function runJob<T = unknown>(executor: SlurmExecutor, job: Job, signal: AbortSignal = new AbortController().signal): Promise<JobResult<T>> {
  return executor.run<T>(job, { signal, attempt: 1, index: 0 });
}

/** What `squeue` lists right now, as "id state" lines (states: all not yet ended). */
export function queued(env: SlurmTestEnv): string[] {
  const out = execFileSync("squeue", ["--noheader", "--format=%i %T %j"], { env: { ...process.env, SLURM_CONF: env.slurmConf }, encoding: "utf8" });
  return out.split("\n").filter((l) => l.trim() !== "");
}

/** squeue's view of one job, ended or not: "STATE REASON". */
export function jobState(env: SlurmTestEnv, jobId: string): string {
  const out = execFileSync("squeue", ["--noheader", "--states=all", `--jobs=${jobId}`, "--format=%T %r"], {
    env: { ...process.env, SLURM_CONF: env.slurmConf },
    encoding: "utf8",
  });
  return out.trim();
}

/** True while a process with this pid exists on this machine. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
