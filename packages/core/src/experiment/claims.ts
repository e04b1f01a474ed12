import { hash } from "node:crypto";
import { ConflictError, hasErrorCode } from "../errors.js";
import { ROW_ID, type StoredRow } from "../rows.js";
import { type Table, appendOwned } from "../storage/table.js";
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

// `hash` is the one-shot form of createHash: the same digest at a fraction of the cost for short inputs.
const sha = (...parts: string[]): string => hash("sha256", parts.join("\u0000"), "hex").slice(0, 40);

/** The id of a row's result in an experiment: one per (dataset row, resume key), so a second result cannot be appended. */
export function resultRowId(datasetRowId: string, key: string): string {
  return `r-${sha(datasetRowId, key)}`;
}

/** The start of the claim ids of a (dataset row, resume key): the generation follows. */
export function claimIdPrefix(experiment: string, datasetRowId: string, key: string): string {
  return `c-${sha(experiment, datasetRowId, key)}-`;
}

/** The latest claim of a dataset row: its generation and the run holding it. */
export interface ClaimHolder {
  generation: number;
  runId: string;
}

/**
 * The latest claim of every dataset row not in `done`, for this resume key, in one pass over
 * the claims table: what a resumed run needs to settle conflicts without a `get` per row.
 * Memory: one entry per row claimed and not done (rows in flight when runners died, and
 * rows that failed), not per row of the table.
 */
export async function claimHolders(claims: Table, experiment: string, key: string, done: { has(id: string): boolean }): Promise<Map<string, ClaimHolder>> {
  const holders = new Map<string, ClaimHolder>();
  for await (const row of claims.entries()) {
    const datasetRowId = row.dataset_row_id;
    if (typeof datasetRowId !== "string" || done.has(datasetRowId)) continue;
    const prefix = claimIdPrefix(experiment, datasetRowId, key);
    // Claims of other resume keys share the table.
    if (!row[ROW_ID].startsWith(prefix)) continue;
    const generation = Number(row[ROW_ID].slice(prefix.length));
    const known = holders.get(datasetRowId);
    if (!known || generation > known.generation) holders.set(datasetRowId, { generation, runId: String(row.run_id) });
  }
  return holders;
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
  #holders = new Map<string, ClaimHolder>();

  constructor(claims: Table, runs: Table, results: Table, ctx: ClaimContext) {
    this.#claims = claims;
    this.#runs = runs;
    this.#results = results;
    this.#ctx = ctx;
  }

  #claimId(datasetRowId: string, generation: number): string {
    return `${claimIdPrefix(this.#ctx.experiment, datasetRowId, this.#ctx.key)}${generation}`;
  }

  /**
   * Take the latest claim of rows as read by {@link claimHolders} (a resumed run): a batch
   * that conflicts is then settled from them, without a `get` per row (a file scan each on
   * local/csv, hours for the few hundred rows a killed runner held in a 10M-row table).
   */
  preload(holders: Map<string, ClaimHolder>): void {
    this.#holders = holders;
  }

  #claimRow(datasetRowId: string, generation: number, claimedAt = new Date().toISOString()): StoredRow {
    return {
      // The experiment and the resume key are in the id (and the table's name): not repeated
      // in every row, which would make claims a third of all the bytes a run writes.
      _row_id: this.#claimId(datasetRowId, generation),
      dataset_row_id: datasetRowId,
      generation,
      run_id: this.#ctx.runId,
      claimed_at: claimedAt,
    };
  }

  /** Claim rows in one append; on a conflict, row by row. */
  async claimMany(datasetRowIds: readonly string[]): Promise<Map<string, ClaimVerdict>> {
    const verdicts = new Map<string, ClaimVerdict>();
    if (datasetRowIds.length === 0) return verdicts;
    // A row with a known claim would make the first append fail (and cost local/csv a read
    // of the whole claims file to confirm): settle the batch from the holders at once.
    if (datasetRowIds.some((id) => this.#holders.has(id))) {
      for (const id of await this.#claimKnown(datasetRowIds, verdicts)) verdicts.set(id, await this.claim(id));
      return verdicts;
    }
    try {
      const now = new Date().toISOString();
      await this.#claims[appendOwned](datasetRowIds.map((id) => this.#claimRow(id, 0, now)));
      for (const id of datasetRowIds) verdicts.set(id, "mine");
      return verdicts;
    } catch (error) {
      if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
    }
    const rest = this.#holders.size > 0 ? await this.#claimKnown(datasetRowIds, verdicts) : datasetRowIds;
    for (const id of rest) verdicts.set(id, await this.claim(id));
    return verdicts;
  }

  /**
   * Settle a conflicting batch from the preloaded holders: rows a live run holds are "held",
   * the others are claimed in one append (the next generation of a known claim, the first
   * of the rest). Returns the rows left to claim one by one: all of them when that append
   * conflicts too (another runner claimed since the holders were read).
   */
  async #claimKnown(datasetRowIds: readonly string[], verdicts: Map<string, ClaimVerdict>): Promise<readonly string[]> {
    const candidates: string[] = [];
    const recheck = new Set<string>();
    for (const id of datasetRowIds) {
      const holder = this.#holders.get(id);
      if (holder && holder.runId !== this.#ctx.runId) {
        if ((await this.#stateOf(holder.runId)) === "running") {
          verdicts.set(id, "held");
          continue;
        }
        // Not running now: it may still have finished the row after this run read what was
        // done (runners that start together, a runner that ended a moment ago), so look for its
        // result before taking the row over; one pass over the results for the whole batch.
        recheck.add(id);
      }
      candidates.push(id);
    }
    // Rows whose holder is no longer running: finished by it, or free.
    const finished = recheck.size > 0 ? await this.#finishedAmong(recheck) : new Set<string>();
    const take: StoredRow[] = [];
    const taken: string[] = [];
    const now = new Date().toISOString();
    for (const id of candidates) {
      if (finished.has(id)) {
        verdicts.set(id, "done");
        this.#holders.delete(id);
        continue;
      }
      const holder = this.#holders.get(id);
      take.push(this.#claimRow(id, holder ? holder.generation + 1 : 0, now));
      taken.push(id);
    }
    try {
      if (take.length > 0) await this.#claims[appendOwned](take);
    } catch (error) {
      if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
      return taken;
    }
    for (const id of taken) {
      verdicts.set(id, "mine");
      this.#holders.delete(id);
    }
    return [];
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

  /** The rows among `ids` with a result another run wrote since this one started: one pass over the results. */
  async #finishedAmong(ids: ReadonlySet<string>): Promise<Set<string>> {
    const finished = new Set<string>();
    for await (const row of this.#results.entries()) {
      const id = row.dataset_row_id;
      if (typeof id !== "string" || !ids.has(id) || row.task_key !== this.#ctx.key) continue;
      if (row.status === "ok" || row.run_id !== this.#ctx.failedBefore.get(id)) finished.add(id);
    }
    return finished;
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
