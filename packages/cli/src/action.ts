import type { Command } from "commander";
import { CommandContext, type GlobalOptions } from "./context.js";
import type { Output } from "./output.js";

/** A command's body: gets the context and commander's arguments, returns the exit code. */
// biome-ignore lint/suspicious/noExplicitAny: each command declares its own argument types; commander passes them untyped
export type Handler = (ctx: CommandContext, ...args: any[]) => Promise<number>;

/** Wraps a handler into a commander action. */
// biome-ignore lint/suspicious/noExplicitAny: see Handler
export type Action = (handler: Handler) => (...args: any[]) => Promise<void>;

/** What a run of the program reports back to `main`. */
export interface RunState {
  exitCode: number;
  /** Cleanups to run (close backends) whatever happens. */
  cleanups: (() => Promise<void>)[];
}

/** Build the action wrapper for one run: context from the global options, exit code recorded. */
export function actionFor(out: Output, state: RunState): Action {
  return (handler) =>
    // biome-ignore lint/suspicious/noExplicitAny: see Handler
    async (...args: any[]) => {
      const command = args.at(-1) as Command;
      const ctx = new CommandContext(command.optsWithGlobals<GlobalOptions>(), out, state.cleanups);
      state.exitCode = await handler(ctx, ...args.slice(0, -1));
    };
}
