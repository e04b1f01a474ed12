import { Project } from "@themis/core";
import type { CommandContext } from "./context.js";
import type { StorageFlags } from "./storage-options.js";

/**
 * The project a data command works on: named, or the config's, on `--storage` or the
 * config's storage. `create`: created when missing (commands that write data).
 */
export async function openProject(ctx: CommandContext, name: string | undefined, flags: StorageFlags, create = false): Promise<Project> {
  const project = await ctx.project(name);
  const { backend } = await ctx.openStorage(flags.storage, flags.option);
  return create ? Project.openOrCreate(project, backend) : Project.open(project, backend);
}
