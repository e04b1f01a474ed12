import { spawn } from "node:child_process";

/** What a finished command printed and how it exited. */
export interface CommandResult {
  /** Exit code; -1 when the process was killed by a signal or could not start. */
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Text written to the command's stdin. */
  input?: string;
}

/**
 * Run a command without a shell and collect its output. Never rejects on a non-zero exit:
 * callers decide what a failure means and show the output that explains it.
 */
export function runCommand(command: string, args: readonly string[], options: RunOptions): Promise<CommandResult> {
  return new Promise((resolve) => {
    const stdin = options.input === undefined ? "ignore" : "pipe";
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: [stdin, "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout!.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error) => resolve({ code: -1, stdout: "", stderr: String(error) }));
    child.on("close", (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8") }));
    if (child.stdin) {
      child.stdin.on("error", () => undefined); // A command that exits without reading its input is not an error here.
      child.stdin.end(options.input);
    }
  });
}

/** Like {@link runCommand}, but throws (with the command's output) unless it exits with 0. */
export async function runOrThrow(command: string, args: readonly string[], options: RunOptions): Promise<CommandResult> {
  const result = await runCommand(command, args, options);
  if (result.code !== 0) {
    throw new Error(
      `\`${[command, ...args].join(" ")}\` in ${options.cwd} exited with ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
    );
  }
  return result;
}
