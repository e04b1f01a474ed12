import path from "node:path";
import { pathToFileURL } from "node:url";
import type { Command } from "commander";
import { Project } from "@themis/core";
import type { Pipeline, PipelinePlan, PipelineRunSummary } from "@themis/pipeline";
import type { Action } from "../action.js";
import type { CommandContext } from "../context.js";
import { EXIT_FAILED, EXIT_OK, UsageError } from "../exit-codes.js";
import { formatTable } from "../format-table.js";
import { type StorageFlags, withStorageFlags } from "../storage-options.js";
import { postprocessCommand } from "./pipeline-postprocess.js";

type Flags = StorageFlags & { project?: string; only?: string; from?: string };

/** @themis/pipeline, loaded by the pipeline commands only: every other command starts without it. */
const pipelines = () => import("@themis/pipeline");

/** The pipeline a file exports (default export, or `pipeline`). */
async function loadPipeline(ctx: CommandContext, file: string): Promise<Pipeline> {
  const url = pathToFileURL(path.resolve(ctx.cwd, file)).href;
  const mod = (await import(url)) as { default?: unknown; pipeline?: unknown };
  const { isPipeline } = await pipelines();
  const found = [mod.default, mod.pipeline].find(isPipeline);
  if (!found) throw new UsageError(`${file} exports no pipeline: \`export default definePipeline({ stages: { ... } })\``);
  return found;
}

async function openProject(ctx: CommandContext, flags: Flags): Promise<Project> {
  const name = await ctx.project(flags.project);
  const { backend } = await ctx.openStorage(flags.storage, flags.option);
  return Project.open(name, backend, undefined, { registry: await ctx.registry() });
}

const selection = (flags: Flags) => ({ ...(flags.only ? { only: flags.only } : {}), ...(flags.from ? { from: flags.from } : {}) });

async function runAction(ctx: CommandContext, file: string, flags: Flags & { resume?: boolean }): Promise<number> {
  const pipeline = await loadPipeline(ctx, file);
  const project = await openProject(ctx, flags);
  try {
    const { runPipeline } = await pipelines();
    const summary = await runPipeline(project, pipeline, {
      ...selection(flags),
      resume: flags.resume ?? false,
      registry: await ctx.registry(),
      // A line per finished stage on stderr, so a long run shows where it is.
      onEvent: (e) => {
        if (e.type === "stage-ended")
          ctx.out.note(`stage ${e.stage}: ${e.counts.computed} computed, ${e.counts.cached} cached, ${e.counts.failed} failed, ${e.counts.blocked} blocked`);
      },
    });
    printRun(ctx, summary);
    return summary.status === "completed" ? EXIT_OK : EXIT_FAILED;
  } finally {
    await project.close();
  }
}

function printRun(ctx: CommandContext, s: PipelineRunSummary): void {
  ctx.out.data(s);
  const rows = Object.entries(s.stages).map(([name, st]) => [
    name,
    st.experiment,
    st.mode,
    ...[st.counts.computed, st.counts.cached, st.counts.failed, st.counts.blocked, st.counts.unmatched].map(String),
  ]);
  ctx.out.line(formatTable(["stage", "experiment", "mode", "computed", "cached", "failed", "blocked", "unmatched"], rows));
  for (const [name, st] of Object.entries(s.stages)) {
    for (const o of st.postprocess)
      ctx.out.line("error" in o ? `${name}: ${o.postprocessor} failed: ${o.error.message}` : `${name}: ${o.postprocessor}: ${o.message}`);
  }
  ctx.out.line(`pipeline ${s.pipeline} ${s.status} in ${(s.durationMs / 1000).toFixed(1)} s (run ${s.runId})`);
}

async function planAction(ctx: CommandContext, file: string, flags: Flags & { explain?: boolean }): Promise<number> {
  const pipeline = await loadPipeline(ctx, file);
  const project = await openProject(ctx, flags);
  try {
    const { planPipeline } = await pipelines();
    const plan = await planPipeline(project, pipeline, { ...selection(flags), registry: await ctx.registry() });
    printPlan(ctx, plan, flags.explain ?? false);
    return EXIT_OK;
  } finally {
    await project.close();
  }
}

function printPlan(ctx: CommandContext, plan: PipelinePlan, explain: boolean): void {
  ctx.out.data(plan);
  const rows = plan.stages.map((s) => [s.stage, s.experiment, s.mode, String(s.rows), String(s.cached), String(s.run), String(s.unmatched)]);
  ctx.out.line(formatTable(["stage", "experiment", "mode", "rows", "cached", "will run", "unmatched"], rows));
  if (!explain) return;
  for (const s of plan.stages) {
    ctx.out.line();
    ctx.out.line(
      `${s.stage}: ${s.mode === "stored" ? "not run, its stored results are read" : s.run === 0 ? "everything cached" : `${s.run} of ${s.rows} rows run`}`,
    );
    for (const [reason, n] of Object.entries(s.reasons))
      ctx.out.line(`  ${String(n).padStart(8)}  ${reason}  (e.g. ${s.examples[reason as keyof typeof s.examples]!.join(", ")})`);
  }
}

function withSelection(command: Command): Command {
  return withStorageFlags(
    command
      .argument("<file>", "a module whose default export is definePipeline({ stages: { ... } })")
      .option("-p, --project <project>", "project name (default: the themis config's project)")
      .option("--only <stage>", "run this stage alone, on its upstreams' stored results")
      .option("--from <stage>", "run this stage and everything downstream of it"),
  );
}

/** `themis pipeline run|plan FILE`: run a pipeline (cached rows reused) or say what would run and why; `postprocess`: run a postprocessor on an experiment. */
export function pipelineCommand(program: Command, action: Action): void {
  const group = program.command("pipeline").description("run pipelines of stages (each on its own executor) with row-granular caching");
  withSelection(group.command("run").description("run the stages, reusing every row whose inputs, code and parameters are unchanged"))
    .option("--resume", "continue the pipeline's last unfinished run under its run id")
    // The commands of examples/pipeline/README.md (its test runs the CLI on that pipeline).
    .addHelpText("after", "\nExample:\n  $ themis pipeline run pipeline.ts")
    .action(action((ctx, file: string, flags: Flags & { resume?: boolean }) => runAction(ctx, file, flags)));
  withSelection(group.command("plan").description("what a run would compute and what is cached"))
    .option("--explain", "why each stage's rows run (new, input, upstream, code or parameters changed, failed before), with example rows")
    .addHelpText("after", "\nExample:\n  $ themis pipeline plan pipeline.ts --explain")
    .action(action((ctx, file: string, flags: Flags & { explain?: boolean }) => planAction(ctx, file, flags)));
  postprocessCommand(group, action);
}
