import { CommanderError, type Command } from "commander";
import { type RunState, actionFor } from "./action.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError } from "./exit-codes.js";
import { Output, type OutputStreams } from "./output.js";
import { createProgram } from "./program.js";

function configure(command: Command, out: Output): void {
  command.exitOverride();
  command.configureOutput({
    writeOut: (s) => out.streams.stdout.write(s),
    writeErr: (s) => out.streams.stderr.write(s),
  });
  for (const sub of command.commands) configure(sub, out);
}

/**
 * Run the `themis` command line with `argv` (without node and the script) and return the
 * exit code: 0 ok, 1 failed, 2 usage error. Never calls process.exit.
 */
export async function main(argv: readonly string[], streams: OutputStreams = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const out = new Output(streams, argv.includes("--json"));
  const state: RunState = { exitCode: EXIT_OK, cleanups: [] };
  const program = createProgram(actionFor(out, state));
  configure(program, out);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return EXIT_OK;
      // Commander printed the message already; "commander.help" is help shown for a missing subcommand.
      if (out.json) out.error(new UsageError(error.message.replace(/^error: /, "")));
      return EXIT_USAGE;
    }
    out.error(error);
    return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILED;
  } finally {
    for (const cleanup of state.cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}
