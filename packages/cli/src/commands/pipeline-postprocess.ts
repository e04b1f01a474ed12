import type { Command } from "commander";
import { type PostprocessReport, Project, runPostprocess } from "@themis/core";
import type { Action } from "../action.js";
import type { CommandContext } from "../context.js";
import { EXIT_OK, UsageError } from "../exit-codes.js";
import { type StorageFlags, withStorageFlags } from "../storage-options.js";

type Flags = StorageFlags & { project?: string; experiment: string; run?: string; with?: string };

function parseConfig(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`--with must be a JSON object, e.g. --with '{"path":"out.csv"}'`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new UsageError("--with must be a JSON object");
  return value as Record<string, unknown>;
}

/** The report: JSON with --json; else its message, and a summary's table. */
export function printReport(ctx: CommandContext, report: PostprocessReport): void {
  ctx.out.data(report);
  const table = (report.data as { table?: unknown } | null)?.table;
  if (typeof table === "string") ctx.out.line(table);
  ctx.out.line(`${report.postprocessor}: ${report.message}`);
}

async function postprocessAction(ctx: CommandContext, name: string, flags: Flags): Promise<number> {
  const config = parseConfig(flags.with);
  const projectName = await ctx.project(flags.project);
  const { backend } = await ctx.openStorage(flags.storage, flags.option);
  const registry = await ctx.registry();
  const project = await Project.open(projectName, backend, undefined, { registry });
  try {
    const report = await runPostprocess(project, name, { experiment: flags.experiment, config, registry, ...(flags.run ? { runId: flags.run } : {}) });
    printReport(ctx, report);
    return EXIT_OK;
  } finally {
    await project.close();
  }
}

/** `themis pipeline postprocess NAME --experiment E`: run a postprocessor on an existing experiment (or one run of it). */
export function postprocessCommand(group: Command, action: Action): void {
  withStorageFlags(
    group
      .command("postprocess")
      .description('run a postprocessor ("summary", "export", "archive" or an installed one) on an experiment\'s results')
      .argument("<name>", "the postprocessor (themis backends list shows the installed ones)")
      .requiredOption("-e, --experiment <experiment>", "the experiment whose results are processed")
      .option("--run <runId>", "only the rows of this run")
      .option("--with <json>", "the postprocessor's config as a JSON object (validated by its schema)")
      .option("-p, --project <project>", "project name (default: the themis config's project)"),
  )
    .addHelpText(
      "after",
      `\nExamples:\n  $ themis pipeline postprocess summary -e reviews-label\n  $ themis pipeline postprocess export -e reviews-label --with '{"path":"label.parquet"}'`,
    )
    .action(action((ctx, name: string, flags: Flags) => postprocessAction(ctx, name, flags)));
}
