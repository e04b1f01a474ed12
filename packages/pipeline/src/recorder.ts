import { type RunRecord, type RunStatus, type Table, hasErrorCode } from "@themis/core";
import type { PipelineRunRecord } from "./run-record.js";
import type { StageCounts } from "./stage-runner.js";
import { updateStageRun } from "./stage-run-records.js";

/**
 * Keeps a pipeline run's records alive while it runs: its own row of `__pipeline_runs` and
 * one core run record per computed stage in `__runs`. Every `heartbeatMs` it rewrites them
 * with a fresh heartbeat and the current counts (so other runners see this run is live and
 * `themis runs` shows progress). Writes are serialized: the final records are never
 * overwritten by a late beat. A failed beat is retried at the next one.
 */
export class RunRecorder {
  readonly #pipelineRuns: Table<PipelineRunRecord>;
  readonly #coreRuns: Table<RunRecord>;
  readonly #counts: ReadonlyMap<string, StageCounts>;
  #record: PipelineRunRecord;
  readonly #stageRuns: Map<string, RunRecord>;
  #chain: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #onBeat: (() => Promise<void>) | undefined;

  constructor(
    pipelineRuns: Table<PipelineRunRecord>,
    coreRuns: Table<RunRecord>,
    record: PipelineRunRecord,
    stageRuns: Map<string, RunRecord>,
    counts: ReadonlyMap<string, StageCounts>,
  ) {
    this.#pipelineRuns = pipelineRuns;
    this.#coreRuns = coreRuns;
    this.#record = record;
    this.#stageRuns = stageRuns;
    this.#counts = counts;
  }

  get record(): PipelineRunRecord {
    return this.#record;
  }

  /** Write the stage run records (a resumed run updates its own) and start beating; `onBeat` runs after each beat's writes (cancel requests are read there). */
  async start(onBeat?: () => Promise<void>): Promise<void> {
    this.#onBeat = onBeat;
    for (const r of this.#stageRuns.values()) {
      try {
        await this.#coreRuns.append(r);
      } catch (error) {
        if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
        await this.#coreRuns.update(r.run_id, r);
      }
    }
    this.#timer = setInterval(() => this.#beat(), this.#record.heartbeat_ms);
    this.#timer.unref(); // the run's own work keeps the process alive, not its heartbeat
  }

  #beat(): void {
    this.#chain = this.#chain.then(async () => {
      try {
        this.#record = { ...this.#record, heartbeat_at: new Date().toISOString() };
        await this.#pipelineRuns.update(this.#record._row_id, this.#record);
        for (const [stage, r] of this.#stageRuns) {
          const next = updateStageRun(r, this.#counts.get(stage) ?? emptyish);
          this.#stageRuns.set(stage, next);
          await this.#coreRuns.update(next.run_id, next);
        }
        await this.#onBeat?.();
      } catch {
        // Storage hiccup: the next beat tries again; the final write reports a lasting failure.
      }
    });
  }

  /** Stop beating, then write the final records. */
  async finish(record: PipelineRunRecord, stageEnd: (stage: string) => { status: RunStatus; reason: string | null }): Promise<void> {
    clearInterval(this.#timer);
    await this.#chain;
    this.#record = { ...record, heartbeat_at: new Date().toISOString() };
    for (const [stage, r] of this.#stageRuns) {
      const next = updateStageRun(r, this.#counts.get(stage) ?? emptyish, stageEnd(stage));
      this.#stageRuns.set(stage, next);
      await this.#coreRuns.update(next.run_id, next);
    }
    await this.#pipelineRuns.update(this.#record._row_id, this.#record);
  }
}

const emptyish: StageCounts = { total: 0, computed: 0, cached: 0, failed: 0, blocked: 0, unmatched: 0, elsewhere: 0 };
