import { type ExecutionBackend, type Job, localBackend, parseBackendConfig } from "@themis/core";

/**
 * Deliberately broken variants of the local executor, each with one hole the conformance
 * suite must catch. Every real executor they wrap is kept in {@link made}, so the mutant
 * file can close them even when the mutant's own close does nothing.
 */
export const made: ExecutionBackend[] = [];

/** A real local executor (killGraceMs 200 unless said otherwise). */
export async function local(config: Record<string, unknown> = {}): Promise<ExecutionBackend> {
  const executor = await localBackend.create(parseBackendConfig(localBackend, { concurrency: 4, killGraceMs: 200, ...config }));
  made.push(executor);
  return executor;
}

/** The executor with `run` rewriting each job first. */
function rewriting(executor: ExecutionBackend, rewrite: (job: Job) => Job): ExecutionBackend {
  return {
    name: executor.name,
    kinds: executor.kinds,
    concurrency: executor.concurrency,
    run: (job, context) => executor.run(rewrite(job), context),
    close: () => executor.close(),
  };
}

/** Command jobs with `inheritEnv: false` get the parent's environment anyway. */
export function passesEnvThrough(executor: ExecutionBackend): ExecutionBackend {
  return rewriting(executor, (job) => (job.kind === "command" ? { ...job, inheritEnv: true } : job));
}

/** Module jobs are resolved from the current directory, whatever `resolveFrom` says. */
export function ignoresResolveFrom(executor: ExecutionBackend): ExecutionBackend {
  return rewriting(executor, (job) => {
    if (job.kind !== "module") return job;
    const { resolveFrom: _ignored, ...rest } = job;
    return rest;
  });
}

/** close does nothing: running jobs go on, new jobs are accepted. */
export function closeDoesNothing(executor: ExecutionBackend): ExecutionBackend {
  return { ...rewriting(executor, (job) => job), close: async () => undefined };
}

/** A canary "secret" the describing executors hold in their config. */
export const DESCRIBE_CANARY = `canary-${process.pid}-describe`;

/** The executor with a `describe()` answering `facts` (as a container or cluster executor would). */
export function describing(executor: ExecutionBackend, facts: () => Promise<{ [key: string]: unknown }>): ExecutionBackend {
  return { ...rewriting(executor, (job) => job), describe: facts as ExecutionBackend["describe"] };
}

/** describe() echoes its config, secret included. */
export function leaksSecretInDescribe(executor: ExecutionBackend): ExecutionBackend {
  return describing(executor, async () => ({ pool: "local", config: { token: DESCRIBE_CANARY } }));
}
