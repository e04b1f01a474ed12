import type { CapturedOutput, CommandJob, JobResult } from "./contract.js";
import { JobFailedError, toJobError } from "./errors.js";

/** What is known of a command once its process (or container) has exited. */
export interface FinishedCommand {
  readonly exitCode: number | null;
  readonly termSignal: string | null;
  readonly stdout: CapturedOutput;
  readonly stderr: CapturedOutput;
  readonly durationMs: number;
}

export interface CommandResultOptions {
  /** Backend name for error messages. */
  backend: string;
  /** The output limit that applied, to say what to raise when JSON output was cut. */
  maxOutputBytes: number;
  /** Why the command failed, when the executor knows better than the exit code (e.g. out of memory). */
  failure?: string;
}

/**
 * Turn a finished command into its job result, the same way for every executor: the exit
 * code must be one of `okExitCodes` (default `[0]`); the value is stdout as text, or parsed
 * as JSON with `output: "json"` (a truncated stdout is an error, never half a document).
 */
export function commandJobResult<T>(job: CommandJob, finished: FinishedCommand, options: CommandResultOptions): JobResult<T> {
  const program = job.argv[0] ?? "";
  const fail = (message: string, cause?: unknown): JobResult<T> => ({
    ok: false,
    error: toJobError(new JobFailedError(message, { backend: options.backend, ...(cause === undefined ? {} : { cause }) })),
    ...finished,
  });
  const okCodes = job.okExitCodes ?? [0];
  if (finished.exitCode === null || !okCodes.includes(finished.exitCode)) {
    const why = finished.exitCode === null ? `was killed by ${finished.termSignal ?? "a signal"}` : `exited with code ${finished.exitCode}`;
    return fail(options.failure ?? `command "${program}" ${why}`);
  }
  if (job.output !== "json") return { ok: true, value: finished.stdout.text as T, ...finished };
  if (finished.stdout.truncated) {
    return fail(`stdout of "${program}" exceeded ${options.maxOutputBytes} bytes: cannot parse it as JSON (raise maxOutputBytes)`);
  }
  try {
    return { ok: true, value: JSON.parse(finished.stdout.text) as T, ...finished };
  } catch (cause) {
    return fail(`stdout of "${program}" is not JSON`, cause);
  }
}
