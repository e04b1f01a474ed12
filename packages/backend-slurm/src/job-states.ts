import { JobFailedError, type ThemisError, TimeoutError } from "@themis/core";
import { BACKEND_NAME } from "./labels.js";
import { slurmTimeMs } from "./slurm-values.js";

/** What squeue says of a job that has ended. */
export interface FinalState {
  readonly jobId: string;
  /** SLURM's base state: COMPLETED, FAILED, TIMEOUT... ("UNKNOWN" when the job left the queue unseen). */
  readonly state: string;
  /** SLURM's reason (NonZeroExitCode, JobLaunchFailure, ...), "None" when it gave none. */
  readonly reason: string;
  /** The batch step's exit code; null when a signal ended it. */
  readonly exitCode: number | null;
  /** The signal that ended the batch step ("SIGKILL"), or null. */
  readonly termSignal: string | null;
}

/**
 * States in which a job is done and will not change again. COMPLETING is not one: the
 * job's processes may still be being killed and its output flushed.
 */
const TERMINAL = new Set([
  "BOOT_FAIL",
  "CANCELLED",
  "COMPLETED",
  "DEADLINE",
  "FAILED",
  "NODE_FAIL",
  "OUT_OF_MEMORY",
  "PREEMPTED",
  "REVOKED",
  "SPECIAL_EXIT",
  "TIMEOUT",
]);

/** True when `state` (squeue's %T) is an end state. */
export function isTerminal(state: string): boolean {
  return TERMINAL.has(state);
}

/** Known SLURM states a job passes through before it ends. */
export const ACTIVE_STATES = [
  "PENDING",
  "CONFIGURING",
  "RUNNING",
  "COMPLETING",
  "SUSPENDED",
  "REQUEUED",
  "REQUEUE_HOLD",
  "REQUEUE_FED",
  "RESIZING",
  "SIGNALING",
  "STAGE_OUT",
  "STOPPED",
  "RESV_DEL_HOLD",
];

/** The signal name of a signal number, as Node names them ("SIGKILL" for 9). */
export function signalName(signal: number): string {
  const names: Readonly<Record<number, string>> = {
    1: "SIGHUP",
    2: "SIGINT",
    3: "SIGQUIT",
    4: "SIGILL",
    6: "SIGABRT",
    7: "SIGBUS",
    8: "SIGFPE",
    9: "SIGKILL",
    10: "SIGUSR1",
    11: "SIGSEGV",
    12: "SIGUSR2",
    13: "SIGPIPE",
    14: "SIGALRM",
    15: "SIGTERM",
    24: "SIGXCPU",
    25: "SIGXFSZ",
  };
  return names[signal] ?? `signal ${signal}`;
}

/**
 * Exit code and signal from squeue's `exit_code` field: a raw wait status (exit code in
 * the high byte, signal in the low seven bits), as `ExitCode=3:0` / `0:9` in scontrol.
 */
export function decodeExitStatus(status: number): { exitCode: number | null; termSignal: string | null } {
  const signal = status & 0x7f;
  if (signal !== 0) return { exitCode: null, termSignal: signalName(signal) };
  return { exitCode: (status >> 8) & 0xff, termSignal: null };
}

/** How the executor treats a job's end state. */
export type StateOutcome =
  /** The program ran to its end: the exit code decides (COMPLETED, FAILED with an exit code). */
  | { readonly kind: "exited" }
  /** The job did not finish its work: this error is the result. */
  | { readonly kind: "error"; readonly error: ThemisError };

/** Extra facts for the messages: the job's memory and time limits as configured. */
export interface StateContext {
  readonly memory?: string | number | undefined;
  readonly timeLimit?: string | undefined;
  /** True when the job's stderr shows SLURM's "Exceeded job memory limit". */
  readonly overMemory?: boolean;
}

/**
 * Map every SLURM end state to a Themis result: an exit decided by the exit code, or an
 * error with a code a user can act on. Infrastructure failures (NODE_FAIL, BOOT_FAIL,
 * PREEMPTED) are retryable: the same job may well succeed on another node or later.
 */
export function stateOutcome(final: FinalState, context: StateContext = {}): StateOutcome {
  const job = `SLURM job ${final.jobId}`;
  const fail = (message: string, retryable = false): StateOutcome => ({
    kind: "error",
    error: new JobFailedError(`${job} ${message}`, { backend: BACKEND_NAME, retryable }),
  });
  const memory = context.memory === undefined ? "" : ` (--mem=${context.memory})`;
  switch (final.state) {
    case "COMPLETED":
      return { kind: "exited" };
    case "FAILED":
      // Killed by SLURM's memory enforcement without cgroups: FAILED, SIGKILL, and a line in stderr.
      if (context.overMemory) return fail(`was killed for using more memory than it asked for${memory}`);
      return { kind: "exited" };
    case "OUT_OF_MEMORY":
      return fail(`was killed for using more memory than it asked for${memory} (OUT_OF_MEMORY)`);
    case "TIMEOUT": {
      const error = new TimeoutError((context.timeLimit === undefined ? undefined : slurmTimeMs(context.timeLimit)) ?? 0, { backend: BACKEND_NAME });
      error.message = `[themis] [${BACKEND_NAME}] ${job} reached its SLURM time limit${context.timeLimit ? ` (--time=${context.timeLimit})` : ""} and was ended by SLURM (TIMEOUT)`;
      return { kind: "error", error };
    }
    case "DEADLINE":
      return fail("reached its --deadline before it could finish and was ended by SLURM (DEADLINE)");
    case "CANCELLED":
      // Not ERR_THEMIS_ABORTED: that code means "the caller cancelled", and this caller did not.
      return fail("was cancelled outside this executor (scancel by a user or an administrator, or a dependency failed)");
    case "NODE_FAIL":
      return fail("ended because its node failed (NODE_FAIL)", true);
    case "BOOT_FAIL":
      return fail("could not start: its node failed to boot (BOOT_FAIL)", true);
    case "PREEMPTED":
      return fail("was preempted by a higher-priority job (PREEMPTED)", true);
    case "UNKNOWN":
      return fail("left the queue before its end state could be read (raise MinJobAge in slurm.conf, or poll more often)", true);
    default:
      return fail(`ended in state ${final.state} (reason ${final.reason})`);
  }
}
