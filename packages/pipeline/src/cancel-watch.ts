import { CANCELS_TABLE, NotFoundError, type Project, type Table, hasErrorCode } from "@themis/core";
import { isLive } from "./liveness.js";
import { type PipelineRunRecord, listPipelineRuns } from "./run-record.js";

/*
 * Cancel requests reach a pipeline run through core's `__run_cancels` table, the one
 * `requestCancel` and `themis runs cancel` write (one row per run id): a stage run's id
 * (its record in `__runs`) cancels that stage and the stages downstream of it, which can no
 * longer get its rows; the pipeline run's own id cancels every stage. The runner reads the
 * table at each heartbeat, as `runExperiment` does.
 */

/** What a cancel request stops: a stage (and what is downstream of it), or the whole run (null). */
export type CancelTarget = string | null;

async function cancelsTable(project: Project): Promise<Table> {
  return project.internalTable("experiment", CANCELS_TABLE);
}

/** Watches the cancel requests of one pipeline run and its stage runs. */
export class CancelWatch {
  readonly #table: Table;
  readonly #targets: ReadonlyMap<string, CancelTarget>;
  readonly #seen = new Set<string>();
  readonly #onCancel: (target: CancelTarget, reason: string) => void;

  private constructor(table: Table, targets: ReadonlyMap<string, CancelTarget>, onCancel: (target: CancelTarget, reason: string) => void) {
    this.#table = table;
    this.#targets = targets;
    this.#onCancel = onCancel;
  }

  /**
   * Watch `targets` (run id → what it cancels). A resumed run keeps its run ids: requests
   * left from before (the cancel that stopped it) are removed first, so they do not stop it
   * again at once.
   */
  static async open(
    project: Project,
    targets: ReadonlyMap<string, CancelTarget>,
    resumed: boolean,
    onCancel: (target: CancelTarget, reason: string) => void,
  ): Promise<CancelWatch> {
    const table = await cancelsTable(project);
    if (resumed) {
      for (const id of targets.keys()) {
        await table.delete(id).catch((error: unknown) => {
          if (!hasErrorCode(error, "ERR_THEMIS_NOT_FOUND")) throw error;
        });
      }
    }
    return new CancelWatch(table, targets, onCancel);
  }

  /** Read the requests once; each new one is reported once. One scan of the (small) table. */
  async check(): Promise<void> {
    for await (const row of this.#table.entries()) {
      const id = row._row_id;
      if (!this.#targets.has(id) || this.#seen.has(id)) continue;
      this.#seen.add(id);
      const reason = typeof row.reason === "string" ? row.reason : "cancel requested";
      this.#onCancel(this.#targets.get(id) ?? null, reason);
    }
  }
}

/**
 * Ask a pipeline run to stop, from any process that reaches the project's storage: every
 * stage stops at the run's next heartbeat, finished rows are kept, and the run is recorded
 * `cancelled` (continue it with `resume`). For one stage, cancel its stage run (its id is in
 * `themis runs list`) with core's `requestCancel`. Returns the run's record as it was, and
 * whether the request was made: a run that is not running (finished, or its runner gone)
 * is left alone. NotFoundError for an unknown pipeline run.
 */
export async function cancelPipelineRun(project: Project, runId: string, reason = "cancel requested"): Promise<{ run: PipelineRunRecord; requested: boolean }> {
  const run = (await listPipelineRuns(project)).find((r) => r._row_id === runId);
  if (run === undefined) throw new NotFoundError(`no pipeline run "${runId}" in project "${project.name}"`, { backend: project.storage.name });
  if (!isLive(run)) return { run, requested: false };
  const table = await cancelsTable(project);
  await table.append({ _row_id: runId, run_id: runId, reason, requested_at: new Date().toISOString() }).catch((error: unknown) => {
    if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
  });
  return { run, requested: true };
}
