import { randomUUID } from "node:crypto";
import {
  AbortedError,
  commandJobResult,
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
  toJobError,
} from "@themis/core";
import { ClosedGuard, parseModuleRunnerResult } from "@themis/core/backend";
import type { DockerConfig } from "./config.js";
import { type ContainerRunOutcome, runContainer } from "./container-run.js";
import { describeDockerExecutor } from "./describe.js";
import { type ContainerSettings, containerSettings, createOptions } from "./container-options.js";
import { type EngineConnection, connectEngine, engineError, pingEngine } from "./engine.js";
import { prepareImage } from "./image.js";
import type { PreparedImage } from "./prepared-image.js";
import { BACKEND_NAME, LABELS } from "./labels.js";
import { RESULT_PATH, RUNNER_PATH, assertReadable, locateModule, moduleFolderArchive, moduleJobArchive } from "./module-job.js";

const SUPPORTED_KINDS: readonly JobKind[] = ["module", "command"];

function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}

/**
 * Runs command and module jobs in Docker containers, one container per job attempt.
 * Create it through the registry (`"docker"`) or {@link DockerExecutor.create}; both check
 * the engine and make the image available before any job runs.
 */
export class DockerExecutor implements ExecutionBackend {
  readonly name = BACKEND_NAME;
  readonly kinds: readonly JobKind[] = SUPPORTED_KINDS;
  readonly concurrency: number;
  /** Value of the `themis.executor` label on this executor's containers. */
  readonly id: string;
  /** The engine address, as error messages name it. */
  readonly address: string;
  /** The image every job runs in, and whether it was pulled or built. */
  readonly image: PreparedImage;
  readonly #config: DockerConfig;
  readonly #connection: EngineConnection;
  readonly #settings: ContainerSettings;
  // Aborted by close(): stops every running job.
  readonly #closing = new AbortController();
  readonly #running = new Set<Promise<unknown>>();
  readonly #containers = new Set<string>();
  // Module folders packed for "copy" transfer, once per executor.
  readonly #moduleFolders = new Map<string, Promise<Buffer>>();
  readonly #guard = new ClosedGuard(BACKEND_NAME, `executor "${BACKEND_NAME}"`);

  private constructor(config: DockerConfig, connection: EngineConnection, settings: ContainerSettings, image: PreparedImage) {
    this.#config = config;
    this.#connection = connection;
    this.#settings = settings;
    this.image = image;
    this.address = connection.address;
    this.concurrency = config.concurrency;
    this.id = randomUUID();
  }

  /**
   * Connect to the engine (UnavailableError naming its address when it does not answer),
   * check the config against it, and pull or build the image.
   */
  static async create(config: DockerConfig): Promise<DockerExecutor> {
    const connection = connectEngine(config.host);
    await pingEngine(connection);
    let cpus: number | undefined;
    if (config.cpu !== undefined) {
      try {
        cpus = (await connection.docker.info()).NCPU as number | undefined;
      } catch (error) {
        throw engineError(error, "reading engine info", connection.address);
      }
    }
    const settings = containerSettings(config, { cpus, local: connection.local });
    const image = await prepareImage(connection, config);
    return new DockerExecutor(config, connection, settings, image);
  }

  /** Containers of this executor that exist right now (being created, running or being removed). */
  get activeContainers(): readonly string[] {
    return [...this.#containers];
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
          ? "in-process functions cannot run in a container; use a module job (an exported function called with JSON input)"
          : `unknown job kind ${JSON.stringify((job as { kind?: unknown }).kind)}`;
      return { ok: false, error: toJobError(new UnsupportedError(why, { backend: this.name })), durationMs: 0 };
    }
    if (context.signal.aborted) return { ok: false, error: toJobError(context.signal.reason), durationMs: 0 };

    // The job's own stop signal: the caller's, this executor's close(), and the config's timeout.
    const timeoutMs = this.#settings.timeoutMs;
    const timeout = new AbortController();
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => timeout.abort(new TimeoutError(timeoutMs, { backend: this.name })), timeoutMs);
    const signal = AbortSignal.any([context.signal, this.#closing.signal, timeout.signal]);
    try {
      return job.kind === "command" ? await this.#runCommand<T>(job, context, signal, elapsed) : await this.#runModule<T>(job, context, signal, elapsed);
    } catch (error) {
      if (signal.aborted) return { ok: false, error: toJobError(signal.reason), durationMs: elapsed() };
      return { ok: false, error: toJobError(error), durationMs: elapsed() };
    } finally {
      clearTimeout(timer);
    }
  }

  #labels(kind: "command" | "module", context: RunContext): Record<string, string> {
    return {
      [LABELS.backend]: BACKEND_NAME,
      [LABELS.executor]: this.id,
      [LABELS.kind]: kind,
      [LABELS.index]: String(context.index),
      [LABELS.attempt]: String(context.attempt),
    };
  }

  #onLine(context: RunContext): ((stream: "stdout" | "stderr", line: string, containerId: string) => void) | undefined {
    const onLog = this.#config.onLog;
    if (!onLog) return undefined;
    return (stream, line, containerId) => {
      try {
        onLog({ stream, line, index: context.index, attempt: context.attempt, containerId });
      } catch {
        // A failing log callback must not fail the job.
      }
    };
  }

  /** Details every result carries. */
  #details(outcome: ContainerRunOutcome, elapsed: () => number) {
    return { exitCode: outcome.exitCode, termSignal: outcome.termSignal, stdout: outcome.stdout, stderr: outcome.stderr, durationMs: elapsed() };
  }

  /** What every container run shares: log streaming, cancellation, cleanup and tracking. */
  #lifecycle(context: RunContext, signal: AbortSignal) {
    return {
      ...(this.#config.onLog ? { onLine: this.#onLine(context) } : {}),
      signal,
      killGraceMs: this.#config.killGraceMs,
      remove: this.#config.removeContainer,
      track: this.#containers,
    };
  }

  /** The result of a job stopped by its timeout or by cancellation. */
  #stoppedResult(signal: AbortSignal, details: JobResultDetails): JobResult<never> {
    return { ok: false, error: toJobError(signal.reason ?? new AbortedError(undefined, { backend: this.name })), ...details };
  }

  #diedMessage(what: string, outcome: ContainerRunOutcome): string {
    if (outcome.oomKilled) {
      const limit = this.#settings.memoryBytes === undefined ? "" : ` (memory limit ${formatBytes(this.#settings.memoryBytes)})`;
      return `${what} was killed for using too much memory${limit}`;
    }
    if (outcome.exitCode === null) return `${what} was killed by ${outcome.termSignal ?? "a signal"}`;
    return `${what} exited with code ${outcome.exitCode}`;
  }

  async #runCommand<T>(job: CommandJob, context: RunContext, signal: AbortSignal, elapsed: () => number): Promise<JobResult<T>> {
    if (!Array.isArray(job.argv) || job.argv.length === 0 || job.argv.some((a) => typeof a !== "string")) {
      return {
        ok: false,
        error: toJobError(new JobFailedError("a command job needs argv: a non-empty array of strings", { backend: this.name })),
        durationMs: 0,
      };
    }
    const [script = "", ...params] = job.argv;
    // `sh -c script name args...`: the arguments reach the script as $1..., unquoted-safe.
    const argv = job.shell ? [typeof job.shell === "string" ? job.shell : "/bin/sh", "-c", script, "themis-job", ...params] : [...job.argv];
    const cmd = [...this.#settings.mpiexec, ...argv];
    // The "executor's environment" of a container is the config's env, never the host's.
    const env = job.inheritEnv === false ? { ...job.env } : { ...this.#settings.env, ...job.env };
    const outcome = await runContainer(this.#connection, {
      createOptions: createOptions(this.#settings, {
        image: this.image.image,
        cmd,
        env,
        workingDir: job.cwd ?? this.#settings.workingDir,
        withStdin: job.stdin !== undefined,
        labels: this.#labels("command", context),
      }),
      ...(job.stdin === undefined ? {} : { stdin: job.stdin }),
      maxOutputBytes: job.maxOutputBytes ?? this.#config.maxOutputBytes,
      ...this.#lifecycle(context, signal),
    });
    const details = this.#details(outcome, elapsed);
    if (outcome.stopped) return this.#stoppedResult(signal, details);
    return commandJobResult<T>(job, details, {
      backend: this.name,
      maxOutputBytes: job.maxOutputBytes ?? this.#config.maxOutputBytes,
      // Only the engine knows a container was OOM-killed: say so instead of "killed by SIGKILL".
      ...(outcome.oomKilled ? { failure: this.#diedMessage(`command "${argv[0]}"`, outcome) } : {}),
    });
  }

  async #runModule<T>(job: ModuleJob, context: RunContext, signal: AbortSignal, elapsed: () => number): Promise<JobResult<T>> {
    const location = locateModule(job, { moduleRoot: this.#config.moduleRoot });
    const transfer = this.#config.moduleTransfer === "auto" ? (this.#connection.local ? "mount" : "copy") : this.#config.moduleTransfer;
    const archives: Buffer[] = [];
    if (location.where === "host" && transfer === "copy") {
      let folder = this.#moduleFolders.get(location.mountRoot);
      if (!folder) {
        folder = moduleFolderArchive(location.mountRoot);
        this.#moduleFolders.set(location.mountRoot, folder);
        folder.catch(() => this.#moduleFolders.delete(location.mountRoot));
      }
      archives.push(await folder);
    } else {
      assertReadable(location, this.#settings.user, this.name);
    }
    archives.push(await moduleJobArchive(job, location, context));
    const outcome = await runContainer(this.#connection, {
      createOptions: createOptions(this.#settings, {
        image: this.image.image,
        cmd: ["node", RUNNER_PATH],
        env: this.#settings.env,
        workingDir: this.#settings.workingDir,
        withStdin: false,
        labels: this.#labels("module", context),
        extraMounts:
          location.where === "host" && transfer === "mount" ? [{ type: "bind", source: location.mountRoot, target: location.mountRoot, readOnly: true }] : [],
      }),
      archives,
      resultPath: RESULT_PATH,
      maxOutputBytes: this.#config.maxOutputBytes,
      ...this.#lifecycle(context, signal),
    });
    const details = this.#details(outcome, elapsed);
    if (outcome.stopped) return this.#stoppedResult(signal, details);
    const result = parseModuleRunnerResult<T>(outcome.result);
    if (!result) {
      const what = `the module runner for ${job.module}`;
      const message = outcome.exitCode === 0 ? `${what} exited without a result` : this.#diedMessage(what, outcome);
      const hint =
        outcome.exitCode === 127 || /node.*not found|executable file not found/i.test(outcome.stderr.text)
          ? ` (does image "${this.image.image}" have node on its PATH?)`
          : outcome.exitCode === 13
            ? " (the export returned a promise that never settled, and nothing else kept Node running)"
            : "";
      return { ok: false, error: toJobError(new JobFailedError(message + hint, { backend: this.name })), ...details };
    }
    return { ...result, ...details };
  }

  /**
   * Provenance of the jobs' environment, recorded by `runExperiment` in the run record
   * (`provenance.executorInfo`): the image reference, its image id and repo digest as the
   * engine reports them now, and the engine's version. See `describeDockerExecutor`.
   */
  describe(): Promise<ExecutorDescription> {
    return describeDockerExecutor(this.#connection, this.image);
  }

  /** Stop running jobs (their containers are stopped and removed) and refuse new ones. Idempotent. */
  close(): Promise<void> {
    return this.#guard.close(async () => {
      this.#closing.abort(new AbortedError("executor was closed", { backend: this.name }));
      await Promise.allSettled([...this.#running]);
    });
  }
}
