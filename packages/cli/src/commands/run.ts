import path from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { type ExperimentRunSummary, type JsonValue, type ModuleTask, Project } from "@themis/core";
import type { Action } from "../action.js";
import type { CommandContext } from "../context.js";
import { EXIT_FAILED, EXIT_OK } from "../exit-codes.js";
import { collectOption } from "../option-pairs.js";
import { parsePositiveInt, parseTimeoutMs } from "../parse-int.js";
import { type ProgressMode, resolveProgressMode, runReporter } from "../progress.js";
import { type StorageFlags, withStorageFlags } from "../storage-options.js";
import { UsageError } from "../exit-codes.js";

interface RunFlags extends StorageFlags {
  dataset: string;
  experiment: string;
  project?: string;
  execution?: string;
  executionOption?: Record<string, unknown>;
  /** Old spellings of --execution / --execution-option, still accepted (one word per concept: "execution", as in the config). */
  executor?: string;
  executorOption?: Record<string, unknown>;
  concurrency?: number;
  timeout?: number;
  retries?: number;
  resume?: boolean;
  param?: Record<string, unknown>;
  taskVersion?: string;
  failFast?: number;
  heartbeatMs?: number;
  progress: ProgressMode;
  threads?: number;
}

/** The --execution flag, or its old spelling --executor (both given: a usage error). */
function executionFlag(flags: RunFlags): string | undefined {
  if (flags.execution !== undefined && flags.executor !== undefined) throw new UsageError("give --execution only (--executor is its old spelling)");
  return flags.execution ?? flags.executor;
}

function executionOptions(flags: RunFlags): Record<string, unknown> {
  return { ...flags.executorOption, ...flags.executionOption };
}

/**
 * Executor options from `-j` and `--threads` for the local executor: `-j` is jobs in flight,
 * `--threads` worker threads, and a thread runs `ceil(j / threads)` module jobs at once, so
 * an I/O-bound task is not capped at one job per core. Other executors get no extra options.
 */
async function localExecutorOptions(ctx: CommandContext, flags: RunFlags): Promise<Record<string, unknown>> {
  const given = executionOptions(flags);
  if (flags.concurrency === undefined && flags.threads === undefined) return given;
  const { backend } = await ctx.resolve("execution", executionFlag(flags), given);
  if (backend.definition.name !== "local") {
    if (flags.threads !== undefined) throw new UsageError(`--threads is an option of the local executor, not of "${backend.definition.name}"`);
    return given;
  }
  const threads = flags.threads ?? (backend.config as { maxThreads: number }).maxThreads;
  const jobs = flags.concurrency ?? (backend.config as { concurrency: number }).concurrency;
  return { ...given, maxThreads: threads, concurrency: jobs, tasksPerThread: Math.max(1, Math.ceil(jobs / threads)) };
}

/** `module#export` (export defaults to "default"), the module resolved like an import from `cwd`. */
export function parseTaskSpec(spec: string, cwd: string): ModuleTask {
  const hash = spec.lastIndexOf("#");
  const module = hash === -1 ? spec : spec.slice(0, hash);
  const name = hash === -1 ? "default" : spec.slice(hash + 1);
  if (!module) throw new UsageError(`no module in "${spec}": write <module>#<export>, e.g. ./tasks.mjs#score`);
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new UsageError(`"${name}" is not an export name: write <module>#<export>, e.g. ./tasks.mjs#score`);
  const isPath = module.startsWith(".") || path.isAbsolute(module);
  return { kind: "module", module: isPath ? path.resolve(cwd, module) : module, export: name, resolveFrom: cwd };
}

function parseNonNegativeInt(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError("expected a whole number >= 0");
  return Number(value);
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** `themis run <module>#<export>`: runExperiment with a progress bar and a summary; Ctrl-C cancels cleanly. */
export function runCommand(program: Command, action: Action): void {
  withStorageFlags(
    program
      .command("run")
      .description("run an experiment: each dataset row through a module export, results appended to an experiment as they finish")
      .argument("<task>", "module#export: a file (./tasks.mjs#score) or package specifier; called with each row (JSON, _row_id included)")
      .requiredOption("-d, --dataset <name>", "dataset whose rows are the inputs")
      .requiredOption("-e, --experiment <name>", "experiment the results go to (created when missing)")
      .option("-p, --project <project>", "project name (default: the themis config's project)")
      .option("-x, --execution <backend>", "execution backend: a name or backend config file (default: the themis config's execution, else local)")
      .option("-X, --execution-option <key=value>", "an option of the execution backend (repeatable)", collectOption)
      // The old spellings still work; the help shows one word per concept ("execution", as in the config).
      .addOption(new Option("--executor <backend>").hideHelp())
      .addOption(new Option("--executor-option <key=value>").argParser(collectOption).hideHelp())
      .option("-j, --concurrency <n>", "jobs in flight (default: the executor's); above --threads, a thread runs several module jobs at once", parsePositiveInt)
      .option("--threads <n>", "worker threads for module jobs (local executor; default: CPU cores)", parsePositiveInt)
      .option("-t, --timeout <ms>", "per-row timeout in milliseconds (at most 2147483647)", parseTimeoutMs)
      .option("-r, --retries <n>", "retries of a failed row when its error is retryable", parseNonNegativeInt)
      .option("--resume", "continue an existing experiment: skip rows already done, rerun failed ones")
      .option("-P, --param <key=value>", "a run parameter, recorded with the run and part of the resume key (repeatable)", collectOption)
      .option("--task-version <version>", "pin the task's code by hand: replaces the module file's sha256 in the resume key")
      .option("--fail-fast <rows>", "stop when the first <rows> rows fail with the same error (0: never; default 5)", parseNonNegativeInt)
      .option("--heartbeat-ms <ms>", "milliseconds between heartbeats and cancel checks (default 5000)", parsePositiveInt)
      .addOption(
        new Option("--progress <mode>", "progress on stderr: auto (a bar on a terminal, else a line every 5 s), bar, plain, json (JSON lines), none")
          .choices(["auto", "bar", "plain", "json", "none"])
          .default("auto"),
      ),
  ).action(
    action(async (ctx, taskSpec: string, flags: RunFlags) => {
      const task = parseTaskSpec(taskSpec, ctx.cwd);
      const projectName = await ctx.project(flags.project);
      const { backend: storage, label: storageLabel } = await ctx.openStorage(flags.storage, flags.option);
      // The definition and config (not an instance): the run records the config, secrets redacted.
      const { backend: executor, label: executorLabel } = await ctx.resolve("execution", executionFlag(flags), await localExecutorOptions(ctx, flags));
      const project = await Project.open(projectName, storage);
      const reporter = runReporter(ctx.out, resolveProgressMode(ctx.out, flags.progress));
      const abort = new AbortController();
      let interrupts = 0;
      const onSignal = (): void => {
        interrupts++;
        if (interrupts > 1) process.exit(130);
        reporter.stop();
        ctx.out.note("cancelling: waiting for running rows to stop (Ctrl-C again to quit now)...");
        abort.abort();
      };
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      let summary: ExperimentRunSummary;
      try {
        summary = await project.runExperiment({
          dataset: flags.dataset,
          experiment: flags.experiment,
          task,
          execution: executor.definition,
          executionConfig: executor.input,
          signal: abort.signal,
          ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
          ...(flags.timeout !== undefined ? { timeout: flags.timeout } : {}),
          ...(flags.retries !== undefined ? { retries: flags.retries } : {}),
          ...(flags.resume ? { resume: true } : {}),
          ...(flags.param ? { parameters: flags.param as { [key: string]: JsonValue } } : {}),
          ...(flags.taskVersion !== undefined ? { taskVersion: flags.taskVersion } : {}),
          ...(flags.failFast !== undefined ? { failFast: flags.failFast } : {}),
          ...(flags.heartbeatMs !== undefined ? { heartbeatMs: flags.heartbeatMs } : {}),
          ...(reporter.onProgress ? { onProgress: reporter.onProgress } : {}),
          onEvent: reporter.onEvent,
          progressIntervalMs: reporter.progressIntervalMs,
        });
      } finally {
        reporter.stop();
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
      }
      const { error, ...rest } = summary;
      ctx.out.data({
        ...rest,
        project: projectName,
        storage: storageLabel,
        execution: executorLabel,
        ...(error ? { error: String((error as Error)?.message ?? error) } : {}),
      });
      ctx.out.line(
        `run ${summary.runId} ${summary.status}: ${summary.succeeded} ok, ${summary.failed} failed, ${summary.skipped} skipped of ${summary.total} rows ` +
          `in ${formatDuration(summary.durationMs)} (${summary.ratePerSecond.toFixed(1)} rows/s) -> experiment "${summary.experiment}" on ${storageLabel}, execution ${executorLabel}`,
      );
      if (summary.status === "cancelled") ctx.out.note(`cancelled (${summary.reason}): finished rows are saved. Continue with the same command plus --resume.`);
      if (summary.failed > 0)
        ctx.out.note(
          `${summary.failed} row(s) failed: see the "error" column (themis experiments show ${summary.experiment}); rerun with --resume to retry them.`,
        );
      if (error) ctx.out.note(`run failed: ${(error as Error)?.message ?? String(error)}`);
      return summary.status === "completed" && summary.failed === 0 ? EXIT_OK : EXIT_FAILED;
    }),
  );
}
