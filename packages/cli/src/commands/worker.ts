import type { Command } from "commander";
import { scrub } from "@themis/core";
import type { Action } from "../action.js";
import { EXIT_OK, UsageError } from "../exit-codes.js";
import { collectOption } from "../option-pairs.js";
import { parsePositiveInt } from "../parse-int.js";

interface WorkerFlags {
  execution?: string;
  executionOption?: Record<string, unknown>;
  concurrency?: number;
  threads?: number;
  queue?: string;
  maxJobs?: number;
}

type WorkerEvent = { readonly type: string; readonly [field: string]: unknown };

/** One human line per event: "<time> <type> key=value ...". */
function formatEvent(event: WorkerEvent, time: string): string {
  const fields = Object.entries(event)
    .filter(([key]) => key !== "type")
    .map(([key, value]) => `${key}=${typeof value === "string" && !/\s/.test(value) ? value : JSON.stringify(value)}`);
  return [time, event.type, ...fields].join(" ");
}

/**
 * `themis worker --execution <backend>`: a long-running process that pulls jobs from the
 * backend's queue (bullmq, or any execution backend whose definition has `startWorker`)
 * and runs them with the local executor. SIGTERM/SIGINT: stop taking jobs, let running
 * ones finish, exit 0; a second signal hands running jobs back and exits at once.
 */
export function workerCommand(program: Command, action: Action): void {
  program
    .command("worker")
    .description("pull jobs from a shared queue (e.g. --execution bullmq) and run them on this machine; one log line per state change")
    .option("-x, --execution <backend>", "execution backend with workers: a name or backend config file (default: the themis config's execution)")
    .option("-X, --execution-option <key=value>", "an option of the backend (repeatable)", collectOption)
    .option("-j, --concurrency <n>", "jobs at once (default 1)", parsePositiveInt)
    .option("-t, --threads <n>", "worker threads for module jobs (default: --concurrency; fewer suits many short CPU-light jobs)", parsePositiveInt)
    .option("-q, --queue <name>", "queue to take jobs from (the backend's `queue` option)")
    .option("-n, --max-jobs <n>", "stop after this many jobs", parsePositiveInt)
    .action(
      action(async (ctx, flags: WorkerFlags) => {
        const options = { ...flags.executionOption, ...(flags.queue !== undefined ? { queue: flags.queue } : {}) };
        const { backend, label } = await ctx.resolve("execution", flags.execution, options);
        const start = backend.definition.startWorker;
        if (!start) throw new UsageError(`execution backend ${label} runs its jobs itself and has no workers: use a queue-based backend such as bullmq`);
        const secrets = backend.secretValues;
        const print = (event: WorkerEvent): void => {
          const time = new Date().toISOString();
          const safe = scrub(event, secrets) as WorkerEvent;
          ctx.out.streams.stdout.write(ctx.out.json ? `${JSON.stringify({ time, ...safe })}\n` : `${formatEvent(safe, time)}\n`);
        };
        const worker = await start(backend.config, {
          ...(flags.concurrency !== undefined ? { concurrency: flags.concurrency } : {}),
          ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
          ...(flags.maxJobs !== undefined ? { maxJobs: flags.maxJobs } : {}),
          onEvent: print,
        });
        let signals = 0;
        const onSignal = (): void => void worker.close({ force: ++signals > 1 });
        process.on("SIGINT", onSignal);
        process.on("SIGTERM", onSignal);
        try {
          await worker.stopped;
        } finally {
          process.off("SIGINT", onSignal);
          process.off("SIGTERM", onSignal);
        }
        return EXIT_OK;
      }),
    );
}
