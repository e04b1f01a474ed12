import { createInterface } from "node:readline/promises";
import { type Command, Option } from "commander";
import {
  NotFoundError,
  Project,
  type RunComparison,
  type RunRecord,
  compareRuns,
  deleteRun,
  getRun,
  hasErrorCode,
  listRuns,
  requestCancel,
  runState,
  topErrors,
} from "@themis/core";
import type { Action } from "../action.js";
import type { CommandContext } from "../context.js";
import { EXIT_OK, UsageError } from "../exit-codes.js";
import { formatTable } from "../format-table.js";
import { parsePositiveInt } from "../parse-int.js";
import { formatEta } from "../progress.js";
import { type StorageFlags, withStorageFlags } from "../storage-options.js";

type Flags = StorageFlags & { project?: string };

const STATES = ["running", "stale", "completed", "failed", "cancelled"] as const;

async function openProject(ctx: CommandContext, flags: Flags): Promise<Project> {
  const name = await ctx.project(flags.project);
  const { backend } = await ctx.openStorage(flags.storage, flags.option);
  return Project.open(name, backend);
}

function withProject(command: Command): Command {
  return withStorageFlags(command.option("-p, --project <project>", "project name (default: the themis config's project)"));
}

const duration = (ms: number | null): string => (ms === null ? "" : formatEta(ms / 1000));
const counts = (r: RunRecord): string => `${r.counts.succeeded} ok, ${r.counts.failed} failed, ${r.counts.skipped + (r.counts.claimed_elsewhere ?? 0)} skipped`;

async function listAction(ctx: CommandContext, flags: Flags & { experiment?: string; status?: string; limit?: number }): Promise<number> {
  const project = await openProject(ctx, flags);
  const now = Date.now();
  let runs = (await listRuns(project, flags.experiment)).map((r) => ({ ...r, state: runState(r, now) }));
  if (flags.status) runs = runs.filter((r) => r.state === flags.status);
  runs.sort((a, b) => b.started_at.localeCompare(a.started_at));
  if (flags.limit) runs = runs.slice(0, flags.limit);
  ctx.out.data(
    runs.map((r) => ({
      run_id: r.run_id,
      experiment: r.experiment,
      dataset: r.dataset,
      state: r.state,
      started_at: r.started_at,
      duration_ms: r.duration_ms,
      counts: r.counts,
      host: r.host,
      reason: r.reason,
    })),
  );
  if (runs.length === 0) ctx.out.note("no runs");
  else {
    const rows = runs.map((r) => [
      r.run_id,
      r.experiment,
      r.state,
      r.started_at.replace("T", " ").slice(0, 19),
      duration(r.duration_ms),
      counts(r),
      r.host ?? "",
    ]);
    ctx.out.line(formatTable(["run", "experiment", "state", "started", "took", "rows", "host"], rows, { maxCellWidth: 40 }));
  }
  return EXIT_OK;
}

async function showAction(ctx: CommandContext, id: string, flags: Flags): Promise<number> {
  const project = await openProject(ctx, flags);
  const run = await getRun(project, id);
  const state = runState(run);
  const errors = await topErrors(project, id);
  ctx.out.data({ ...run, state, top_errors: errors });
  const p = run.provenance;
  const lines: [string, string][] = [
    ["run", run.run_id],
    ["state", state + (run.reason ? ` (${run.reason})` : "")],
    ["experiment", `${run.experiment} (dataset ${run.dataset})`],
    ["task", `${run.task}${run.task_version ? ` version ${run.task_version}` : ""}`],
    ["code sha256", run.code_hash ?? ""],
    ["parameters", JSON.stringify(run.parameters)],
    [
      "executor",
      `${run.executor}, concurrency ${run.concurrency ?? "default"}${run.timeout_ms ? `, timeout ${run.timeout_ms} ms` : ""}, retries ${run.retries}`,
    ],
    [
      "rows",
      `${counts(run)} of ${run.counts.total ?? "?"}${run.error_rate !== null && run.error_rate !== undefined ? ` (error rate ${(run.error_rate * 100).toFixed(1)}%)` : ""}`,
    ],
    ["started", run.started_at],
    ["finished", run.finished_at ? `${run.finished_at} (${duration(run.duration_ms)})` : `last heartbeat ${run.heartbeat_at}`],
    ["host", `${run.host} pid ${run.pid}`],
    ["git", p.gitCommit ? `${p.gitCommit}${p.gitDirty ? " (dirty)" : ""}` : "none"],
    ["node", `${p.node} ${p.platform}/${p.arch}`],
    [
      "packages",
      Object.entries(p.packages)
        .map(([k, v]) => `${k}@${v}`)
        .join(" "),
    ],
  ];
  if (p.executorConfig) lines.push(["executor config", JSON.stringify(p.executorConfig)]);
  // What the executor said about itself (describe()): for docker, the image digest.
  if (p.executorInfo) lines.push(["executor info", JSON.stringify(p.executorInfo)]);
  for (const [k, v] of lines) ctx.out.line(`${`${k}:`.padEnd(17)}${v}`);
  const metrics = Object.entries(run.metrics ?? {});
  if (metrics.length > 0) {
    ctx.out.line();
    ctx.out.line(
      formatTable(
        ["metric", "count", "mean", "std", "p50", "p95"],
        metrics.map(([name, m]) => [name, String(m.count), fmt(m.mean), fmt(m.std), fmt(m.p50), fmt(m.p95)]),
      ),
    );
  }
  if (errors.length > 0) {
    ctx.out.line();
    ctx.out.line(
      formatTable(
        ["count", "error", "message"],
        errors.map((e) => [String(e.count), e.code, e.message]),
        { maxCellWidth: 80 },
      ),
    );
  }
  return EXIT_OK;
}

const fmt = (x: number): string => (Number.isInteger(x) ? String(x) : x.toPrecision(4));

async function confirm(ctx: CommandContext, question: string): Promise<boolean> {
  if (!process.stdin.isTTY || ctx.out.json) throw new UsageError("not a terminal: pass --yes to delete without asking");
  const rl = createInterface({ input: process.stdin, output: ctx.out.streams.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

function printComparison(ctx: CommandContext, cmp: RunComparison): void {
  ctx.out.line(`A ${cmp.a.runId} (${cmp.a.experiment}, ${cmp.a.rows} rows)  vs  B ${cmp.b.runId} (${cmp.b.experiment}, ${cmp.b.rows} rows)`);
  ctx.out.line(`${cmp.both} rows in both, ${cmp.onlyInA.length} only in A, ${cmp.onlyInB.length} only in B; confidence ${cmp.level * 100}%`);
  if (cmp.metrics.length === 0) {
    ctx.out.line("no metric scored by both runs (tasks return { output, scores })");
    return;
  }
  const rows = cmp.metrics.map((m) => [
    m.metric,
    String(m.pairs),
    fmt(m.meanA),
    fmt(m.meanB),
    (m.delta >= 0 ? "+" : "") + fmt(m.delta),
    m.ci ? `[${fmt(m.ci[0])}, ${fmt(m.ci[1])}]` : `McNemar ${m.discordant!.aOnly}/${m.discordant!.bOnly}`,
    m.p < 0.0001 ? "<0.0001" : m.p.toFixed(4),
    m.significant ? "yes" : "no",
  ]);
  ctx.out.line();
  ctx.out.line(formatTable(["metric", "pairs", "A", "B", "delta", "CI / discordant", "p", "significant"], rows));
}

/**
 * `themis runs cancel RUN`: an experiment run, a pipeline's stage run (that stage and the
 * stages downstream of it stop; the pipeline run is recorded cancelled) or a pipeline run
 * (every stage stops). Each stops at its runner's next heartbeat.
 */
async function cancelAction(ctx: CommandContext, id: string, flags: Flags & { reason: string }): Promise<number> {
  const project = await openProject(ctx, flags);
  try {
    const run = await getRun(project, id).catch((error: unknown) => {
      if (hasErrorCode(error, "ERR_THEMIS_NOT_FOUND")) return undefined;
      throw error;
    });
    if (run === undefined) return await cancelPipeline(ctx, project, id, flags.reason);
    const state = runState(run);
    if (state !== "running") ctx.out.note(`run ${id} is ${state}: nothing to stop`);
    else await requestCancel(project, id, flags.reason);
    ctx.out.data({ run_id: id, state, requested: state === "running", ...(run.pipeline_run ? { pipeline_run: run.pipeline_run } : {}) });
    if (state !== "running") return EXIT_OK;
    if (typeof run.stage === "string" && typeof run.pipeline_run === "string") {
      ctx.out.line(`cancel requested: stage ${run.stage} of pipeline run ${run.pipeline_run} and the stages downstream of it stop within a heartbeat`);
    } else ctx.out.line(`cancel requested: run ${id} stops within a heartbeat`);
    return EXIT_OK;
  } finally {
    await project.close();
  }
}

/** A run id that is not in `__runs`: a pipeline run's, or unknown. */
async function cancelPipeline(ctx: CommandContext, project: Project, id: string, reason: string): Promise<number> {
  // Loaded here only: every other runs command starts without @themis/pipeline.
  const { cancelPipelineRun } = await import("@themis/pipeline");
  const { run, requested } = await cancelPipelineRun(project, id, reason).catch((error: unknown) => {
    if (!hasErrorCode(error, "ERR_THEMIS_NOT_FOUND")) throw error;
    throw new NotFoundError(`no run "${id}": neither an experiment or stage run (themis runs list) nor a pipeline run`, {
      backend: project.storage.name,
      cause: error,
    });
  });
  // A "running" record whose runner is gone reads stale, as experiment runs do.
  const state = requested || run.status !== "running" ? run.status : "stale";
  ctx.out.data({ run_id: id, pipeline: run.pipeline, state, requested });
  if (requested) ctx.out.line(`cancel requested: every stage of pipeline run ${id} (${run.pipeline}) stops within a heartbeat`);
  else ctx.out.note(`pipeline run ${id} is ${state}: nothing to stop`);
  return EXIT_OK;
}

/** `themis runs list | show | cancel | delete | compare`: the run records beside the experiments. */
export function runsCommand(program: Command, action: Action): void {
  const group = program.command("runs").description("list, inspect, cancel, delete and compare experiment runs");
  withProject(
    group
      .command("list")
      .description("runs, newest first, with their state (running, stale, completed, failed, cancelled)")
      .option("-e, --experiment <name>", "only the runs of this experiment")
      .addOption(new Option("--status <state>", "only runs in this state").choices(STATES))
      .option("-n, --limit <runs>", "at most this many", parsePositiveInt),
  ).action(action((ctx, flags: Flags & { experiment?: string; status?: string; limit?: number }) => listAction(ctx, flags)));

  withProject(
    group.command("show").description("one run: parameters, state, counts, timings, provenance, metrics, top errors").argument("<run>", "run id"),
  ).action(action((ctx, id: string, flags: Flags) => showAction(ctx, id, flags)));

  withProject(
    group
      .command("cancel")
      .description("ask a run to stop (from any machine): it stops at its next heartbeat, keeping finished rows")
      .argument("<run>", "run id")
      .option("--reason <text>", "why (recorded with the run)", "cancelled with themis runs cancel"),
  ).action(action((ctx, id: string, flags: Flags & { reason: string }) => cancelAction(ctx, id, flags)));

  withProject(group.command("delete").description("delete a run and its result rows").argument("<run>", "run id").option("-y, --yes", "do not ask")).action(
    action(async (ctx, id: string, flags: Flags & { yes?: boolean }) => {
      const project = await openProject(ctx, flags);
      const run = await getRun(project, id);
      if (!flags.yes && !(await confirm(ctx, `delete run ${id} of experiment "${run.experiment}" and its result rows?`))) {
        ctx.out.note("not deleted");
        return EXIT_OK;
      }
      const { resultRows } = await deleteRun(project, id);
      ctx.out.data({ run_id: id, deleted: true, result_rows: resultRows });
      ctx.out.line(`deleted run ${id} and ${resultRows} result row(s)`);
      return EXIT_OK;
    }),
  );

  withProject(
    group
      .command("compare")
      .description("join two runs on dataset row id: per-metric deltas with a paired test (bootstrap CI, McNemar for booleans)")
      .argument("<a>", "run id (baseline)")
      .argument("<b>", "run id (candidate)")
      .option("--seed <n>", "bootstrap seed", parsePositiveInt, 1)
      .option("--resamples <n>", "bootstrap resamples", parsePositiveInt, 2000),
  ).action(
    action(async (ctx, a: string, b: string, flags: Flags & { seed: number; resamples: number }) => {
      const project = await openProject(ctx, flags);
      const cmp = await compareRuns(project, a, b, { seed: flags.seed, resamples: flags.resamples });
      ctx.out.data(cmp);
      printComparison(ctx, cmp);
      return EXIT_OK;
    }),
  );
}
