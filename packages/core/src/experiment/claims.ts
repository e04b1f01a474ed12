import { createHash } from "node:crypto";
import { ConflictError, hasErrorCode } from "../errors.js";
import type { StoredRow } from "../rows.js";
import type { Table } from "../storage/table.js";
import { type RunRecord, type RunState, runState } from "./run-record.js";

/**
 * The internal table of an experiment's row claims: one row per (dataset row, resume key,
 * generation). One table per experiment, so deleting the experiment drops its claims with it.
 */
export function claimsTable(experiment: string): string {
  return `__claims.${experiment}`;
}

/** What a runner may do with a dataset row. */
export type ClaimVerdict =
  /** This run holds the claim: run the row. */
  | "mine"
  /** Another run did the row (a result exists): skip it. */
  | "done"
  /** A live run holds the claim: skip it for now, look again at the end. */
  | "held";

const sha = (...parts: string[]): string => createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 40);

/** The id of a row's result in an experiment: one per (dataset row, resume key), so a second result cannot be appended. */
export function resultRowId(datasetRowId: string, key: string): string {
  return `r-${sha(datasetRowId, key)}`;
}

/** What {@link RowClaims} needs to know about the run. */
export interface ClaimContext {
  runId: string;
  experiment: string;
  key: string;
  /** Dataset row id -> run id of the error row an earlier run left (those rows are redone). */
  failedBefore: ReadonlyMap<string, string>;
}

/**
 * Claims of dataset rows, so that several runners (processes, machines) on one experiment
 * split the work and each row gets one result. A claim is an append of a row whose id is
 * derived from (experiment, dataset row id, resume key, generation): the storage contract
 * rejects a second row with the same id (ALREADY_EXISTS) on every backend, across
 * processes, so exactly one runner wins each generation. A claim whose run is no longer
 * running (stale, cancelled, failed, completed without a result for the row) is taken over
 * by appending the next generation, atomic by the same rule.
 */
export class RowClaims {
  readonly #claims: Table;
  readonly #runs: Table;
  readonly #results: Table;
  readonly #ctx: ClaimContext;
  readonly #states = new Map<string, { state: RunState; at: number }>();

  constructor(claims: Table, runs: Table, results: Table, ctx: ClaimContext) {
    this.#claims = claims;
    this.#runs = runs;
    this.#results = results;
    this.#ctx = ctx;
  }

  #claimId(datasetRowId: string, generation: number): string {
    return `c-${sha(this.#ctx.experiment, datasetRowId, this.#ctx.key)}-${generation}`;
  }

  #claimRow(datasetRowId: string, generation: number): StoredRow {
    return {
      _row_id: this.#claimId(datasetRowId, generation),
      experiment: this.#ctx.experiment,
      dataset_row_id: datasetRowId,
      task_key: this.#ctx.key,
      generation,
      run_id: this.#ctx.runId,
      claimed_at: new Date().toISOString(),
    };
  }

  /** Claim rows in one append; on a conflict, row by row. */
  async claimMany(datasetRowIds: readonly string[]): Promise<Map<string, ClaimVerdict>> {
    const verdicts = new Map<string, ClaimVerdict>();
    if (datasetRowIds.length === 0) return verdicts;
    try {
      await this.#claims.appendMany(datasetRowIds.map((id) => this.#claimRow(id, 0)));
      for (const id of datasetRowIds) verdicts.set(id, "mine");
      return verdicts;
    } catch (error) {
      if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
    }
    for (const id of datasetRowIds) verdicts.set(id, await this.claim(id));
    return verdicts;
  }

  /** Claim one row: take the next free generation, or say why not. */
  async claim(datasetRowId: string): Promise<ClaimVerdict> {
    for (let round = 0; ; round++) {
      // Each round means another runner won a generation: a store whose get does not see
      // what its append refused would loop here forever.
      if (round === 100) throw new ConflictError(`row "${datasetRowId}": claim still contested after ${round} rounds`);
      let generation = 0;
      let holder: StoredRow | undefined;
      for (;;) {
        const row = await this.#get(this.#claims, this.#claimId(datasetRowId, generation));
        if (!row) break;
        holder = row;
        generation++;
      }
      if (holder) {
        if (holder.run_id === this.#ctx.runId) return "mine";
        const verdict = await this.#judge(datasetRowId, String(holder.run_id));
        if (verdict !== "free") return verdict;
      }
      try {
        await this.#claims.append(this.#claimRow(datasetRowId, generation));
        return "mine";
      } catch (error) {
        // Another runner took this generation first: look again.
        if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
      }
    }
  }

  /** Whether a row claimed by `owner` is done, still held, or free to take over. */
  async #judge(datasetRowId: string, owner: string): Promise<ClaimVerdict | "free"> {
    const result = await this.#get(this.#results, resultRowId(datasetRowId, this.#ctx.key));
    if (result?.status === "ok") return "done";
    // An error row another run wrote since this run started is that run's answer; only
    // failures this run found at its start are redone.
    if (result && result.run_id !== this.#ctx.failedBefore.get(datasetRowId)) return "done";
    return (await this.#stateOf(owner)) === "running" ? "held" : "free";
  }

  async #stateOf(runId: string): Promise<RunState> {
    const cached = this.#states.get(runId);
    if (cached && Date.now() - cached.at < 1000) return cached.state;
    const record = (await this.#get(this.#runs, runId)) as unknown as RunRecord | undefined;
    // A claim without a run record: its runner died before writing one.
    const state: RunState = record ? runState(record) : "stale";
    this.#states.set(runId, { state, at: Date.now() });
    return state;
  }

  async #get(table: Table, id: string): Promise<StoredRow | undefined> {
    try {
      return await table.get(id);
    } catch (error) {
      if (hasErrorCode(error, "ERR_THEMIS_NOT_FOUND")) return undefined;
      throw error;
    }
  }
}
