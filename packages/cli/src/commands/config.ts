import type { Command } from "commander";
import { CONFIG_SEARCH_PLACES, NotFoundError, printableConfig } from "@themis/core";
import { stringify } from "yaml";
import type { Action } from "../action.js";
import { EXIT_FAILED, EXIT_OK } from "../exit-codes.js";

/** `themis config`: which config file is used and what it resolves to (secrets redacted). */
export function configCommand(program: Command, action: Action): void {
  program
    .command("config")
    .description("show the themis config in use: its file and resolved backends, secrets redacted")
    .action(
      action(async (ctx) => {
        const config = await ctx.config();
        if (!config) {
          const error = new NotFoundError(
            `no themis config found from ${ctx.cwd} up to the project root. Looked for: ${CONFIG_SEARCH_PLACES.join(", ")} ("themis" key)`,
          );
          ctx.out.error(error);
          return EXIT_FAILED;
        }
        const printable = printableConfig(config);
        ctx.out.data(printable);
        ctx.out.line(stringify(printable).trimEnd());
        return EXIT_OK;
      }),
    );
}
