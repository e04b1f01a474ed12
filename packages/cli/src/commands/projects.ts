import type { Command } from "commander";
import type { Action } from "../action.js";
import { EXIT_OK } from "../exit-codes.js";
import { type StorageFlags, withStorageFlags } from "../storage-options.js";

/** `themis projects ls`: the projects on a storage backend. */
export function projectsCommand(program: Command, action: Action): void {
  const group = program.command("projects").description("list the projects on a storage backend");
  withStorageFlags(group.command("ls").description("names of every project on the storage")).action(
    action(async (ctx, flags: StorageFlags) => {
      const { backend } = await ctx.openStorage(flags.storage, flags.option);
      const names = await backend.listProjects();
      ctx.out.data(names);
      for (const n of names) ctx.out.line(n);
      return EXIT_OK;
    }),
  );
}
