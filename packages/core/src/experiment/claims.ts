import { ConflictError, hasErrorCode } from "../errors.js";
import type { StoredRow } from "../rows.js";
import { type Table, appendOwned } from "../storage/table.js";
import { BLOCK_ROWS, blockClaimIdPrefix, blockReleaseId } from "./claim-ids.js";
import type { ClaimHolder, ClaimHolders } from "./claim-holders.js";
import { HeartbeatWatch, type HeartbeatWatchOptions } from "./heartbeat-watch.js";
import type { RunRecord, RunState } from "./run-record.js";

export { BLOCK_ROWS, claimsTable, resultRowId } from "./claim-ids.js";
export { type ClaimHolder, type ClaimHolders, claimHolders } from "./claim-holders.js";

/** A block of dataset rows to claim: its index and the ids of its rows not done by earlier runs. */
export interface Block {
  index: number;
  rows: readonly string[];
}

/** What a runner may do with a block. */
export type BlockVerdict =
  /** This run holds the block (claim generation `generation`): run its rows, except those another run finished. */
  | { verdict: "mine"; generation: number; finished: ReadonlySet<string> }
  /** Another run finished every row of the block: skip it. */
  | { verdict: "done" }
  /** A live run holds the block: skip it for now, look again at the end. */
  | { verdict: "held" };

/** What {@link BlockClaims} needs to know about the run. */
export interface ClaimContext {
  runId: string;
  experiment: string;
  key: string;
  /** Dataset row id -> run id of the error row an earlier run left (those rows are redone). */
  failedBefore: ReadonlyMap<string, string>;
  /** Clocks the liveness of holders is judged on (see {@link HeartbeatWatch}); tests inject their own. */
  clocks?: HeartbeatWatchOptions;
}

const NONE: ReadonlySet<string> = new Set();

/**
 * Claims of blocks of dataset rows, so that several runners (processes, machines) on one
 * experiment split the work and each row gets one result. A claim is an append of a row whose
 * id is derived from (experiment, resume key, block index, generation): the storage contract
 * rejects a second row with the same id (ALREADY_EXISTS) on every backend, across processes,
 * so exactly one runner wins each generation of a block. A block whose holder is no longer
 * running (stale, cancelled, failed, completed) or has released it (`BlockReleases`) is
 * taken over by appending the next generation, atomic by the same rule; the rows of it that
 * have a result are not run again. Whether a holder still runs is judged by a
 * {@link HeartbeatWatch} kept for the life of this object, on this machine's own clock.
 */
export class BlockClaims {
  readonly #claims: Table;
  readonly #runs: Table;
  readonly #results: Table;
  readonly #ctx: ClaimContext;
  readonly #states = new Map<string, { state: RunState; at: number }>();
  /** One watch for all looks of this run: staleness is a heartbeat seen unchanged long enough. */
  readonly #watch: HeartbeatWatch;
  readonly #now: () => number;
  /** The latest claim of blocks other runs hold, as far as this run knows. */
  #holders = new Map<number, ClaimHolder>();
  /** Rows an ended run claimed one by one (the older format): looked up in the results before they run. */
  #recheck = new Set<string>();

  constructor(claims: Table, runs: Table, results: Table, ctx: ClaimContext) {
    this.#claims = claims;
    this.#runs = runs;
    this.#results = results;
    this.#ctx = ctx;
    this.#watch = new HeartbeatWatch(ctx.clocks);
    this.#now = ctx.clocks?.now ?? (() => performance.now());
  }

  /**
   * Take the claims a resumed run read with `claimHolders`: blocks are then settled from
   * them without a `get` each. Row claims of the older per-row format are honoured: rows whose
   * runner still runs make this throw (that runner claims rows one by one and would not see
   * this run's blocks), the others are looked up in the results before they run.
   */
  async preload(holders: ClaimHolders): Promise<void> {
    this.#holders = holders.blocks;
    const live = new Set<string>();
    for (const { runId } of holders.rows.values()) {
      if (!live.has(runId) && (await this.#stateOf(runId)) === "running") live.add(runId);
    }
    if (live.size > 0) {
      throw new ConflictError(
        `experiment "${this.#ctx.experiment}" is being run by an older @themis/core that claims rows one by one (run ${[...live].join(", ")}): stop it or let it finish, then resume (a killed runner counts as ended once its heartbeat is stale)`,
      );
    }
    this.#recheck = new Set(holders.rows.keys());
  }

  #claimRow(block: number, generation: number, claimedAt: string): StoredRow {
    return {
      _row_id: `${blockClaimIdPrefix(this.#ctx.experiment, this.#ctx.key, block)}${generation}`,
      block,
      block_rows: BLOCK_ROWS,
      generation,
      run_id: this.#ctx.runId,
      claimed_at: claimedAt,
    };
  }

  #needsKnown(blocks: readonly Block[]): boolean {
    if (this.#holders.size > 0 && blocks.some((b) => this.#holders.has(b.index))) return true;
    return this.#recheck.size > 0 && blocks.some((b) => b.rows.some((id) => this.#recheck.has(id)));
  }

  /** Claim blocks in one append; on a conflict, from what is known, then block by block. */
  async claimBlocks(blocks: readonly Block[]): Promise<Map<number, BlockVerdict>> {
    const verdicts = new Map<number, BlockVerdict>();
    if (blocks.length === 0) return verdicts;
    let rest: readonly Block[] = blocks;
    if (this.#needsKnown(blocks)) {
      // A known claim would make the first append fail (and cost local/csv a read of the
      // whole claims file to confirm): settle the batch from the holders at once.
      rest = await this.#claimKnown(blocks, verdicts);
    } else {
      try {
        const now = new Date().toISOString();
        await this.#claims[appendOwned](blocks.map((b) => this.#claimRow(b.index, 0, now)));
        for (const b of blocks) verdicts.set(b.index, { verdict: "mine", generation: 0, finished: NONE });
        return verdicts;
      } catch (error) {
        if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
      }
    }
    for (const block of rest) verdicts.set(block.index, await this.claim(block));
    return verdicts;
  }

  /**
   * Settle blocks from the known holders: blocks a live run holds are "held"; the rows of
   * the others whose holder ended (or released them) are looked up in the results (one pass for the batch), and
   * the blocks with rows left are claimed in one append (the next generation of a known
   * claim, the first of the rest). Returns the blocks left to claim one by one: all those
   * of that append when it conflicts (another runner claimed since the holders were read).
   */
  async #claimKnown(blocks: readonly Block[], verdicts: Map<number, BlockVerdict>): Promise<readonly Block[]> {
    const candidates: Block[] = [];
    const recheck = new Set<string>();
    for (const block of blocks) {
      const holder = this.#holders.get(block.index);
      if (holder && holder.runId !== this.#ctx.runId) {
        if (await this.#holds(holder.runId, block.index, holder.generation)) {
          verdicts.set(block.index, { verdict: "held" });
          continue;
        }
        // Not running now: it may still have finished rows after this run read what was
        // done (runners that start together, a runner that ended a moment ago).
        for (const id of block.rows) recheck.add(id);
      } else for (const id of block.rows) if (this.#recheck.has(id)) recheck.add(id);
      candidates.push(block);
    }
    const finished = recheck.size > 0 ? await this.#finishedAmong(recheck) : NONE;
    const take: StoredRow[] = [];
    const taken: { block: Block; generation: number; finished: ReadonlySet<string> }[] = [];
    const now = new Date().toISOString();
    for (const block of candidates) {
      const own = block.rows.filter((id) => finished.has(id));
      if (own.length === block.rows.length) {
        verdicts.set(block.index, { verdict: "done" });
        continue;
      }
      const holder = this.#holders.get(block.index);
      const generation = holder ? holder.generation + 1 : 0;
      take.push(this.#claimRow(block.index, generation, now));
      taken.push({ block, generation, finished: own.length > 0 ? new Set(own) : NONE });
    }
    try {
      if (take.length > 0) await this.#claims[appendOwned](take);
    } catch (error) {
      if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
      return taken.map((t) => t.block);
    }
    for (const { block, generation, finished: own } of taken) {
      verdicts.set(block.index, { verdict: "mine", generation, finished: own });
      this.#holders.delete(block.index);
      for (const id of block.rows) this.#recheck.delete(id);
    }
    return [];
  }

  /** Claim one block: take the next free generation, or say why not. */
  async claim(block: Block): Promise<BlockVerdict> {
    const prefix = blockClaimIdPrefix(this.#ctx.experiment, this.#ctx.key, block.index);
    for (let round = 0; ; round++) {
      // Each round means another runner won a generation: a store whose get does not see
      // what its append refused would loop here forever.
      if (round === 100) throw new ConflictError(`block ${block.index} of the dataset: claim still contested after ${round} rounds`);
      let generation = 0;
      let holder: StoredRow | undefined;
      for (;;) {
        const row = await this.#get(this.#claims, `${prefix}${generation}`);
        if (!row) break;
        holder = row;
        generation++;
      }
      // This run's own claim (a batch append that failed part-way): a generation above 0 means it took the block over.
      if (holder?.run_id === this.#ctx.runId) return this.#mine(block, generation - 1, generation > 1);
      let takenOver = false;
      if (holder) {
        const runId = String(holder.run_id);
        if (await this.#holds(runId, block.index, generation - 1)) {
          this.#holders.set(block.index, { generation: generation - 1, runId });
          return { verdict: "held" };
        }
        takenOver = true;
        const finished = await this.#finishedAmong(new Set(block.rows));
        if (block.rows.every((id) => finished.has(id))) return { verdict: "done" };
      }
      try {
        await this.#claims.append(this.#claimRow(block.index, generation, new Date().toISOString()));
        return this.#mine(block, generation, takenOver);
      } catch (error) {
        // Another runner took this generation first: look again.
        if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
      }
    }
  }

  /**
   * Whether this run still holds generation `generation` of block `index`: no runner has
   * claimed the next one. Asked after this run's heartbeat lapsed (see `Lease`), before it
   * starts more rows of a block claimed before: others may have taken it for dead meanwhile.
   */
  async stillHolds(index: number, generation: number): Promise<boolean> {
    const prefix = blockClaimIdPrefix(this.#ctx.experiment, this.#ctx.key, index);
    return (await this.#get(this.#claims, `${prefix}${generation + 1}`)) === undefined;
  }

  /** A block this run now holds: the rows of it another run finished (all rows looked up after a takeover). */
  async #mine(block: Block, generation: number, takenOver: boolean): Promise<BlockVerdict> {
    this.#holders.delete(block.index);
    const look = new Set(takenOver ? block.rows : block.rows.filter((id) => this.#recheck.has(id)));
    for (const id of block.rows) this.#recheck.delete(id);
    return { verdict: "mine", generation, finished: look.size > 0 ? await this.#finishedAmong(look) : NONE };
  }

  /** Whether run `runId` still holds generation `generation` of a block: it is running and has not released it. */
  async #holds(runId: string, block: number, generation: number): Promise<boolean> {
    if ((await this.#stateOf(runId)) !== "running") return false;
    const prefix = blockClaimIdPrefix(this.#ctx.experiment, this.#ctx.key, block);
    return (await this.#get(this.#claims, blockReleaseId(prefix, generation))) === undefined;
  }

  /** The rows among `ids` with a result another run wrote since this one started: one pass over the results. */
  async #finishedAmong(ids: ReadonlySet<string>): Promise<Set<string>> {
    const finished = new Set<string>();
    for await (const row of this.#results.entries()) {
      const id = row.dataset_row_id;
      if (typeof id !== "string" || !ids.has(id) || row.task_key !== this.#ctx.key) continue;
      // An error row another run wrote is that run's answer; only failures this run found at its start are redone.
      if (row.status === "ok" || row.run_id !== this.#ctx.failedBefore.get(id)) finished.add(id);
    }
    return finished;
  }

  async #stateOf(runId: string): Promise<RunState> {
    const cached = this.#states.get(runId);
    if (cached && this.#now() - cached.at < 1000) return cached.state;
    const record = (await this.#get(this.#runs, runId)) as unknown as RunRecord | undefined;
    // A claim without a run record: its runner died before writing one.
    const state: RunState = record ? this.#watch.state(runId, record) : "stale";
    this.#states.set(runId, { state, at: this.#now() });
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
