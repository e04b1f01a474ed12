import { type Experiment, type Project, type Row, type StoredRow, type Table, claimsTable, hasErrorCode } from "@themis/core";
import { appendOwned } from "@themis/core/backend";
import { type StoredResult, resultId } from "./cache.js";
import { hashOf } from "./hash.js";
import { isLive } from "./liveness.js";
import type { PipelineRunRecord } from "./run-record.js";

/** What this runner may do with a stage row: run it, take another runner's result, or wait. */
export type StageClaim = { verdict: "mine" } | { verdict: "done"; result: StoredResult } | { verdict: "held" };

/** A row to claim: its dataset row id and cache key, and the run of its error row when it failed before. */
export interface ClaimRequest {
  readonly rowId: string;
  readonly key: string;
  /** The pipeline run whose error row this run redoes (undefined: the row has no error row). */
  readonly failedIn: string | undefined;
}

/**
 * Row claims of one stage, so that several runners of a pipeline (processes, machines)
 * split its rows and each (dataset row, cache key) is computed once. Same rule as core's
 * experiment claims: a claim is an append of a row whose id derives from (experiment,
 * dataset row, cache key, generation); every storage backend refuses a second row with that
 * id, so one runner wins each generation. A claim whose run is no longer live (finished,
 * stale heartbeat, process gone) is taken over with the next generation.
 */
export class StageClaims {
  readonly #open: () => Promise<Table>;
  #table: Promise<Table> | undefined;
  readonly #runs: Table<PipelineRunRecord>;
  readonly #results: Experiment<StoredResult>;
  readonly #experiment: string;
  readonly #runId: string;
  readonly #live = new Map<string, { live: boolean; at: number }>();

  private constructor(open: () => Promise<Table>, runs: Table<PipelineRunRecord>, results: Experiment<StoredResult>, experiment: string, runId: string) {
    this.#open = open;
    this.#runs = runs;
    this.#results = results;
    this.#experiment = experiment;
    this.#runId = runId;
  }

  /**
   * The claims of a stage's experiment (core's `__claims.<experiment>` table: deleted with
   * it), opened on the first claim: a run where every row is cached never reads it.
   */
  static open(project: Project, runs: Table<PipelineRunRecord>, results: Experiment<StoredResult>, runId: string): StageClaims {
    return new StageClaims(() => project.internalTable("experiment", claimsTable(results.name)), runs, results, results.name, runId);
  }

  #claims(): Promise<Table> {
    this.#table ??= this.#open();
    return this.#table;
  }

  #id(req: ClaimRequest, generation: number): string {
    return `p-${hashOf(this.#experiment, req.rowId, req.key)}-${generation}`;
  }

  #row(req: ClaimRequest, generation: number): StoredRow {
    return {
      _row_id: this.#id(req, generation),
      dataset_row_id: req.rowId,
      cache_key: req.key,
      generation,
      pipeline_run: this.#runId,
      claimed_at: new Date().toISOString(),
    };
  }

  /** Claim rows in one append (the common case: nobody else runs); on a conflict, row by row. */
  async claimMany(reqs: readonly ClaimRequest[]): Promise<StageClaim[]> {
    if (reqs.length === 0) return [];
    try {
      await (await this.#claims())[appendOwned](reqs.map((r) => this.#row(r, 0)));
      return reqs.map(() => ({ verdict: "mine" }));
    } catch (error) {
      if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
    }
    const out: StageClaim[] = [];
    for (const r of reqs) out.push(await this.claim(r));
    return out;
  }

  /** Claim one row: take the next free generation, or say who has it. */
  async claim(req: ClaimRequest): Promise<StageClaim> {
    for (let round = 0; round < 100; round++) {
      let generation = 0;
      let holder: StoredRow | undefined;
      for (;;) {
        const row = await get(await this.#claims(), this.#id(req, generation));
        if (!row) break;
        holder = row;
        generation++;
      }
      const result = await get(this.#results, resultId(req.rowId, req.key));
      // A result is the answer, unless it is the error row this run set out to redo. Checked
      // for this run's own claims too (resumed): it may have stored the result and been
      // killed before indexing it.
      if (result && (result.status === "ok" || result.pipeline_run !== req.failedIn)) return { verdict: "done", result };
      if (holder?.pipeline_run === this.#runId) return { verdict: "mine" }; // this run, resumed
      if (holder && (await this.#isLive(String(holder.pipeline_run)))) return { verdict: "held" };
      try {
        await (await this.#claims()).append(this.#row(req, generation));
        return { verdict: "mine" };
      } catch (error) {
        if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error; // another runner took it: look again
      }
    }
    return { verdict: "held" };
  }

  async #isLive(runId: string): Promise<boolean> {
    const cached = this.#live.get(runId);
    if (cached && Date.now() - cached.at < 500) return cached.live;
    const live = isLive(await get(this.#runs, runId));
    this.#live.set(runId, { live, at: Date.now() });
    return live;
  }
}

async function get<T extends Row>(table: Table<T>, id: string): Promise<StoredRow<T> | undefined> {
  try {
    return await table.get(id);
  } catch (error) {
    if (hasErrorCode(error, "ERR_THEMIS_NOT_FOUND")) return undefined;
    throw error;
  }
}
