import { type ExecFileException, execFile } from "node:child_process";
import path from "node:path";
import { JobFailedError, type ThemisError, UnavailableError } from "@themis/core";
import { BACKEND_NAME } from "./labels.js";

/** How to call the SLURM commands: where they are and which slurm.conf they read. */
export interface SlurmCli {
  readonly binDir?: string | undefined;
  readonly slurmConf?: string | undefined;
}

/** A SLURM command that ran and exited with a code that is not 0. */
export interface CommandFailure {
  readonly exitCode: number | null;
  readonly stderr: string;
}

// Messages of the SLURM client library when slurmctld cannot be reached (or is too busy to
// answer): trying again later may succeed, unlike a rejected job.
const UNREACHABLE =
  /unable to contact slurm controller|socket timed out|connection refused|slurm_persist_conn|communication connection failure|zero bytes were transmitted|slurmctld.*(not responding|down)/i;

// Generous: a busy slurmctld can take seconds to answer; a hung one should not hang jobs forever.
const COMMAND_TIMEOUT_MS = 60_000;

/**
 * Run one SLURM command (`sbatch`, `squeue`...) without a shell and resolve with its
 * stdout. Rejects with UnavailableError (retryable) when the command is missing or
 * slurmctld does not answer, and with JobFailedError carrying SLURM's own message when
 * the command refuses the request (bad partition, account, limits).
 */
export function slurm(cli: SlurmCli, command: string, args: readonly string[], what: string): Promise<string> {
  const program = cli.binDir ? path.join(cli.binDir, command) : command;
  const env = cli.slurmConf ? { ...process.env, SLURM_CONF: cli.slurmConf } : process.env;
  return new Promise((resolve, reject) => {
    execFile(program, args, { env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, timeout: COMMAND_TIMEOUT_MS }, (error, stdout, stderr) => {
      if (!error) return resolve(stdout);
      reject(slurmError(error, { exitCode: typeof error.code === "number" ? error.code : null, stderr }, command, what, cli));
    });
  });
}

/** The Themis error for a SLURM command that failed to run or refused a request. */
export function slurmError(error: ExecFileException, failure: CommandFailure, command: string, what: string, cli: SlurmCli): ThemisError {
  const options = { backend: BACKEND_NAME, cause: error };
  if (error.code === "ENOENT") {
    const where = cli.binDir ? `in ${cli.binDir} (slurmBinDir)` : "on PATH";
    // Not retryable: trying again will not install it.
    return new UnavailableError(
      `${command} was not found ${where} while ${what}: install the SLURM client commands (Debian: slurm-client) or set slurmBinDir`,
      { ...options, retryable: false },
    );
  }
  if (error.killed)
    return new UnavailableError(`${command} did not answer within ${COMMAND_TIMEOUT_MS / 1000} s while ${what}: is slurmctld overloaded?`, options);
  const message = firstLines(failure.stderr) || `exited with code ${failure.exitCode ?? "null"}`;
  if (UNREACHABLE.test(failure.stderr)) return new UnavailableError(`${command} could not reach slurmctld while ${what}: ${message}`, options);
  return new JobFailedError(`${command} failed while ${what}: ${message}`, options);
}

/** The first lines of a command's stderr, trimmed: SLURM puts the reason there. */
function firstLines(text: string): string {
  return text.trim().split("\n").slice(0, 3).join(" / ").slice(0, 500);
}
