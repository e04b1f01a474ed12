import { randomUUID } from "node:crypto";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import {
  AbortedError,
  type CommandJob,
  type ExecutionBackend,
  type ExecutorDescription,
  type Job,
  type JobKind,
  JobFailedError,
  type JobResult,
  type JobResultDetails,
  type ModuleJob,
  type RunContext,
  TimeoutError,
  UnsupportedError,
  commandJobResult,
  toJobError,
} from "@themis/core";
import { JOB_FILES, type ScriptSpec, batchScript } from "./batch-script.js";
import { checkCluster, describeCluster } from "./cluster.js";
import type { SlurmConfig } from "./config.js";
import { ClosedGuard, parseDuration } from "@themis/core/backend";
import { createJobDir, readCapped, removeJobDir } from "./job-files.js";
import { type FinalState, stateOutcome } from "./job-states.js";
import { JobWatcher } from "./job-watcher.js";
import { BACKEND_NAME } from "./labels.js";
import { readModuleResult, writeModuleJob } from "./module-job.js";
import type { SlurmCli } from "./slurm-cli.js";
import { cancelJob, submitJob, waitForEnd } from "./submission.js";
import { ENV_NAME } from "./slurm-values.js";

const SUPPORTED_KINDS: readonly JobKind[] = ["module", "command"];
// SLURM's own notes in a job's stderr when it killed the job for its memory (with and without cgroups).
const OVER_MEMORY = /Exceeded job memory limit|oom-kill event|out-of-memory/i;

/** What a job attempt left behind once SLURM says it ended (or it was stopped). */
interface Ended {
  readonly final: FinalState | undefined;
  readonly stopped: boolean;
  readonly details: JobResultDetails;
}

/**
 * Runs command and module jobs as SLURM batch jobs: one generated batch script per job
 * attempt (sbatch), one squeue call per poll for all of them, scancel on timeout,
 * cancellation and close(). Create it through the registry (`"slurm"`) or
 * {@link SlurmExecutor.create}, which checks the cluster first.
 */
export class SlurmExecutor implements ExecutionBackend {
  readonly name = BACKEND_NAME;
  readonly kinds: readonly JobKind[] = SUPPORTED_KINDS;
  readonly concurrency: number;
  /** Names this executor's folder under workDir. */
  readonly id: string;
  readonly #config: SlurmConfig;
  readonly #cli: SlurmCli;
  readonly #watcher: JobWatcher;
  readonly #timeoutMs: number | undefined;
  // Aborted by close(): stops (scancels) every job.
  readonly #closing = new AbortController();
  readonly #running = new Set<Promise<unknown>>();
  readonly #jobs = new Set<string>();
  readonly #guard = new ClosedGuard(BACKEND_NAME, `executor "${BACKEND_NAME}"`);

  private constructor(config: SlurmConfig, cli: SlurmCli) {
    this.#config = config;
    this.#cli = cli;
    this.#watcher = new JobWatcher(cli, { minMs: config.pollIntervalMs, maxMs: config.maxPollIntervalMs });
    this.#timeoutMs = config.timeout === undefined ? undefined : parseDuration(config.timeout);
    this.concurrency = config.concurrency;
    this.id = randomUUID();
  }

  /** Check that slurmctld answers, the partitions exist and workDir can be created. */
  static async create(config: SlurmConfig): Promise<SlurmExecutor> {
    const cli: SlurmCli = { binDir: config.slurmBinDir, slurmConf: config.slurmConf };
    await checkCluster(cli, config);
    return new SlurmExecutor(config, cli);
  }

  /** SLURM job ids of this executor that are submitted and not yet known to have ended. */
  get activeJobs(): readonly string[] {
    return [...this.#jobs];
  }

  async run<T = unknown>(job: Job, context: RunContext): Promise<JobResult<T>> {
    this.#guard.assertOpen();
    const running = this.#run<T>(job, context);
    this.#running.add(running);
    try {
      return await running;
    } finally {
      this.#running.delete(running);
    }
  }

  async #run<T>(job: Job, context: RunContext): Promise<JobResult<T>> {
    const start = performance.now();
    const elapsed = (): number => performance.now() - start;
    if (job.kind !== "command" && job.kind !== "module") {
      const why =
        job.kind === "function"
          ? "in-process functions cannot run on a cluster node; use a module job (an exported function called with JSON input)"
          : `unknown job kind ${JSON.stringify((job as { kind?: unknown }).kind)}`;
      return { ok: false, error: toJobError(new UnsupportedError(why, { backend: this.name })), durationMs: 0 };
    }
    if (context.signal.aborted) return { ok: false, error: toJobError(this.#stopReason(context.signal)), durationMs: 0 };
    const timeoutMs = this.#timeoutMs;
    const timeout = new AbortController();
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => timeout.abort(new TimeoutError(timeoutMs, { backend: this.name })), timeoutMs);
    const signal = AbortSignal.any([context.signal, this.#closing.signal, timeout.signal]);
    let dir: string | undefined;
    try {
      dir = await createJobDir(this.#config.workDir, this.id, context.index, context.attempt);
      return job.kind === "command"
        ? await this.#runCommand<T>(job, context, dir, signal, elapsed)
        : await this.#runModule<T>(job, context, dir, signal, elapsed);
    } catch (error) {
      return { ok: false, error: toJobError(signal.aborted ? this.#stopReason(signal) : error), durationMs: elapsed() };
    } finally {
      clearTimeout(timer);
      if (dir !== undefined && !this.#config.keepJobFiles) await removeJobDir(dir);
    }
  }

  /** Write the script, submit it, wait for its end (scancel when `signal` aborts), read its outputs. */
  async #submitAndWait(spec: ScriptSpec, signal: AbortSignal, maxOutputBytes: number, elapsed: () => number): Promise<Ended> {
    const script = path.join(spec.dir, JOB_FILES.script);
    await writeFile(script, batchScript(this.#config, spec), { mode: 0o700 });
    // Never aborted half-way: a killed sbatch may still have queued the job, unknown to us.
    const jobId = await submitJob(this.#cli, script);
    this.#jobs.add(jobId);
    let ended: { final: FinalState | undefined; stopped: boolean };
    try {
      ended = await waitForEnd(this.#watcher, jobId, signal, () => cancelJob(this.#cli, jobId), this.#config.cancelWaitMs);
    } finally {
      this.#jobs.delete(jobId);
    }
    const [stdout, stderr] = await Promise.all([
      readCapped(path.join(spec.dir, JOB_FILES.stdout), maxOutputBytes),
      readCapped(path.join(spec.dir, JOB_FILES.stderr), maxOutputBytes),
    ]);
    const details: JobResultDetails = {
      exitCode: ended.final?.exitCode ?? null,
      termSignal: ended.final?.termSignal ?? null,
      stdout,
      stderr,
      durationMs: elapsed(),
    };
    return { ...ended, details };
  }

  /** The result of a job that was stopped, or whose end state is not an exit. */
  #failure(ended: Ended, signal: AbortSignal): JobResult<never> | undefined {
    if (ended.stopped) return { ok: false, error: toJobError(this.#stopReason(signal)), ...ended.details };
    if (!ended.final) return undefined;
    const overMemory = OVER_MEMORY.test(ended.details.stderr?.text ?? "");
    const outcome = stateOutcome(ended.final, {
      memory: this.#config.memory,
      timeLimit: this.#config.timeLimit === undefined ? undefined : String(this.#config.timeLimit),
      overMemory,
    });
    return outcome.kind === "error" ? { ok: false, error: toJobError(outcome.error), ...ended.details } : undefined;
  }

  /** Why a job was stopped: the signal's reason, a plain `abort()` being a cancellation (ERR_THEMIS_ABORTED). */
  #stopReason(signal: AbortSignal): unknown {
    const reason: unknown = signal.reason;
    if (reason instanceof Error && !("code" in reason && typeof reason.code === "string"))
      return new AbortedError(undefined, { backend: this.name, cause: reason });
    return reason ?? new AbortedError(undefined, { backend: this.name });
  }

  #spec(dir: string, context: RunContext, fields: Pick<ScriptSpec, "argv" | "env" | "cleanEnv" | "cwd" | "hasStdin">): ScriptSpec {
    return { dir, jobName: `${this.#config.jobNamePrefix}-${context.index}`, timeoutMs: this.#timeoutMs, ...fields };
  }

  async #runCommand<T>(job: CommandJob, context: RunContext, dir: string, signal: AbortSignal, elapsed: () => number): Promise<JobResult<T>> {
    const invalid = commandProblem(job);
    if (invalid) return { ok: false, error: toJobError(new JobFailedError(invalid, { backend: this.name })), durationMs: 0 };
    const [script = "", ...params] = job.argv;
    // `sh -c script name args...`: the arguments reach the script as $1..., never re-parsed.
    const argv = job.shell ? [typeof job.shell === "string" ? job.shell : "/bin/sh", "-c", script, "themis-job", ...params] : [...job.argv];
    if (job.stdin !== undefined) await writeFile(path.join(dir, JOB_FILES.stdin), job.stdin, { mode: 0o600 });
    const env = job.inheritEnv === false ? { ...job.env } : { ...this.#config.env, ...job.env };
    const spec = this.#spec(dir, context, {
      argv,
      env,
      cleanEnv: job.inheritEnv === false,
      cwd: job.cwd ?? this.#config.cwd,
      hasStdin: job.stdin !== undefined,
    });
    const maxOutputBytes = job.maxOutputBytes ?? this.#config.maxOutputBytes;
    const ended = await this.#submitAndWait(spec, signal, maxOutputBytes, elapsed);
    const failure = this.#failure(ended, signal);
    if (failure) return failure;
    const { exitCode = null, termSignal = null, stdout, stderr, durationMs = elapsed() } = ended.details;
    const empty = { text: "", bytes: 0, truncated: false };
    return commandJobResult<T>(
      job,
      { exitCode, termSignal, stdout: stdout ?? empty, stderr: stderr ?? empty, durationMs },
      { backend: this.name, maxOutputBytes },
    );
  }

  async #runModule<T>(job: ModuleJob, context: RunContext, dir: string, signal: AbortSignal, elapsed: () => number): Promise<JobResult<T>> {
    const argv = await writeModuleJob(dir, job, context, this.#config.node);
    const spec = this.#spec(dir, context, { argv, env: this.#config.env, cleanEnv: false, cwd: this.#config.cwd, hasStdin: false });
    const ended = await this.#submitAndWait(spec, signal, this.#config.maxOutputBytes, elapsed);
    const failure = this.#failure(ended, signal);
    if (failure) return failure;
    const result = await readModuleResult<T>(dir);
    if (result) return { ...result, ...ended.details };
    const { exitCode, termSignal } = ended.details;
    const what = `the module runner for ${job.module} (SLURM job ${ended.final?.jobId ?? "?"})`;
    const how =
      exitCode === 0
        ? "exited without a result"
        : exitCode === null || exitCode === undefined
          ? `was killed by ${termSignal ?? "a signal"}`
          : `exited with code ${exitCode}`;
    const hint =
      exitCode === 127
        ? ` (is "${this.#config.node}" on PATH on the compute nodes? set "node" to its absolute path)`
        : exitCode === 13
          ? " (the export returned a promise that never settled, and nothing else kept Node running)"
          : "";
    return { ok: false, error: toJobError(new JobFailedError(`${what} ${how}${hint}`, { backend: this.name })), ...ended.details };
  }

  /** Provenance: SLURM version, cluster name and the resources jobs ask for (see describeCluster). */
  describe(): Promise<ExecutorDescription> {
    return describeCluster(this.#cli, this.#config);
  }

  /** scancel every job still running (each run resolves once its job has left the queue) and refuse new ones. Idempotent. */
  close(): Promise<void> {
    return this.#guard.close(async () => {
      this.#closing.abort(new AbortedError("executor was closed", { backend: this.name }));
      await Promise.allSettled([...this.#running]);
      this.#watcher.stop(new AbortedError("executor was closed", { backend: this.name }));
    });
  }
}

/** Why a command job cannot be written into a batch script, or undefined. */
function commandProblem(job: CommandJob): string | undefined {
  if (!Array.isArray(job.argv) || job.argv.length === 0 || job.argv.some((a) => typeof a !== "string"))
    return "a command job needs argv: a non-empty array of strings";
  if (job.argv.some((a) => a.includes("\0"))) return "argv entries cannot contain NUL characters";
  const bad = Object.keys(job.env ?? {}).find((name) => !ENV_NAME.test(name));
  if (bad !== undefined)
    return `env variable name ${JSON.stringify(bad)} cannot be exported by a batch script: letters, digits and _ only, not starting with a digit`;
  if (Object.values(job.env ?? {}).some((v) => typeof v !== "string" || v.includes("\0"))) return "env values must be strings without NUL characters";
  return undefined;
}
