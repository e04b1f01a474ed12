// What a run says and reads before its first row.
import type { Row } from "../rows.js";
import type { ProjectView } from "./project-view.js";
import type { RunEvent } from "./run-events.js";
import type { RunExperimentOptions } from "./run-options.js";
import type { Counters } from "./run-progress.js";
import { type RunRecord, listRuns } from "./run-record.js";
import { codeChangeSince, previousResults } from "./run-setup.js";
import { COUNT_WAIT_MS, type ExperimentRunState } from "./run-start.js";
import { DoneSet } from "./done-set.js";

/**
 * Before the first row: what earlier runs did (with `resume`), the total when someone
 * listens, the "run-started" event, the experiment's runs and, on a resume whose task code
 * changed, the "code-changed" event.
 */
export async function announceRun<I extends Row, O>(
  project: ProjectView,
  options: RunExperimentOptions<I, O>,
  ctx: ExperimentRunState<I>,
  c: Counters,
  emit: (event: RunEvent) => void,
): Promise<{ previous: Awaited<ReturnType<typeof previousResults>>; earlierRuns: RunRecord[] }> {
  const key = ctx.record.task_key;
  const resume = ctx.record.resume;
  const previous = resume
    ? await previousResults(ctx.experiment, key)
    : { done: new DoneSet(), errorRows: new Map<string, string>(), errorRuns: new Map<string, string>() };
  if (ctx.count) {
    c.total = await ctx.count.within(COUNT_WAIT_MS);
    void ctx.count.done.then((n) => {
      c.total ??= n;
    });
  }
  emit({
    type: "run-started",
    runId: ctx.runId,
    experiment: ctx.record.experiment,
    dataset: ctx.record.dataset,
    taskKey: key,
    codeHash: ctx.record.code_hash,
    resume,
    total: c.total,
  });
  const earlierRuns = await listRuns(project, ctx.record.experiment);
  if (resume && options.onEvent) {
    const changed = codeChangeSince(
      earlierRuns.filter((r) => r.run_id !== ctx.runId),
      ctx.record.task,
      ctx.record.parameters,
      ctx.record.code_hash ?? "",
      ctx.record.task_version,
    );
    if (changed)
      emit({
        type: "code-changed",
        runId: ctx.runId,
        previousRunId: changed.run_id,
        previousCodeHash: changed.code_hash ?? null,
        codeHash: ctx.record.code_hash,
      });
  }
  return { previous, earlierRuns };
}
