import { type Experiment, HeartbeatWatch, type Project, type Row, type StoredRow, type Table, claimsTable, hasErrorCode } from "@themis/core";
import { appendOwned } from "@themis/core/backend";
import { type StoredResult, resultId, resultRun } from "./cache.js";
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
 * Claim blocks of a stage (default). Part of the claims' format: every runner of a stage must
 * use the same count (it is in every claim id, so runners with another count never see each
 * other's claims: each row still keeps one result, but both may compute it).
 */
export const CLAIM_BLOCKS = 1024;

/** A block this run holds; `check`: its rows may have results written since this run started. */
interface Held {
  generation: number;
  check: boolean;
}

/**
 * Block claims of one stage, so that several runners of a pipeline (processes, machines)
 * split its rows and each (dataset row, cache key) is computed once. A stage's rows arrive
 * streamed from upstream in an order that may differ between runners, so a block is not a
 * range of rows but a hash bucket of the dataset row id: the same for every runner whatever
 * the order. Same rule as core's block claims otherwise: a claim is an append of a row whose
 * id derives from (experiment, code and parameters, block, generation); every storage
 * backend refuses a second row with that id, so one runner wins each generation. A block
 * whose runner is no longer live (finished, stale heartbeat, process gone) or released it
 * is taken over with the next generation; its rows are then looked up in the results first.
 * Releases are written when the stage ends: a block's rows arrive until then. A runner whose
 * own heartbeat lapsed looks again before it hands out more rows of its blocks.
 */
export class StageClaims {
  readonly #open: () => Promise<Table>;
  #table: Promise<Table> | undefined;
  readonly #runs: Table<PipelineRunRecord>;
  readonly #results: Experiment<StoredResult>;
  readonly #experiment: string;
  readonly #taskKey: string;
  readonly #runId: string;
  readonly #blocks: number;
  readonly #live = new Map<string, { live: boolean; at: number }>();
  /** One watch for every look of this runner: a holder is dead once its heartbeat stops changing, on this machine's clock. */
  readonly #watch = new HeartbeatWatch();
  readonly #mine = new Map<number, Held>();
  /** Latest claim seen of blocks other runs hold (from the scan at start, or a refused append). */
  readonly #holders = new Map<number, { generation: number; runId: string; released: boolean }>();
  /** Per-row claims of an earlier version of this package: row key -> its runner. */
  readonly #oldRows = new Map<string, string>();
  /** Results stored since this run read them, of blocks it took over or resumed and of old per-row claims. */
  readonly #late = new Map<string, StoredResult>();

  private constructor(
    open: () => Promise<Table>,
    runs: Table<PipelineRunRecord>,
    results: Experiment<StoredResult>,
    runId: string,
    taskKey: string,
    blocks: number,
  ) {
    this.#open = open;
    this.#runs = runs;
    this.#results = results;
    this.#experiment = results.name;
    this.#runId = runId;
    this.#taskKey = taskKey;
    this.#blocks = blocks;
  }

  /**
   * The claims of a stage's experiment (core's `__claims.<experiment>` table: deleted with
   * it), opened and read on the first claim: a run where every row is cached never reads it.
   */
  static open(
    project: Project,
    runs: Table<PipelineRunRecord>,
    results: Experiment<StoredResult>,
    runId: string,
    taskKey: string,
    blocks = CLAIM_BLOCKS,
  ): StageClaims {
    return new StageClaims(() => project.internalTable("experiment", claimsTable(results.name)), runs, results, runId, taskKey, blocks);
  }

  #claims(): Promise<Table> {
    this.#table ??= this.#open().then(async (table) => {
      await this.#scan(table);
      if (this.#oldRows.size > 0) await this.#readLate(undefined);
      return table;
    });
    return this.#table;
  }

  /** Read the claims once: blocks claimed before (resume, other runners, released or not) and old per-row claims. */
  async #scan(table: Table): Promise<void> {
    const released = new Set<string>();
    for await (const row of table.entries()) {
      if (typeof row.dataset_row_id === "string" && typeof row.pipeline_run === "string") {
        this.#oldRows.set(`${row.dataset_row_id}\u0000${String(row.cache_key)}`, row.pipeline_run);
        continue;
      }
      if (row.task_key !== this.#taskKey || row.blocks !== this.#blocks || typeof row.block !== "number") continue;
      const generation = Number(row.generation);
      if (row.released === true) released.add(`${row.block}:${generation}`);
      const known = this.#holders.get(row.block);
      if (!known || generation > known.generation) this.#holders.set(row.block, { generation, runId: String(row.pipeline_run), released: false });
    }
    for (const [block, h] of this.#holders) h.released = released.has(`${block}:${h.generation}`);
  }

  /** FNV-1a of the row id, mixed (murmur3's finalizer): the same in every process, ~6x cheaper than sha256. */
  #blockOf(rowId: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < rowId.length; i++) h = Math.imul(h ^ rowId.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return ((h ^ (h >>> 16)) >>> 0) % this.#blocks;
  }

  #prefix(block: number): string {
    return `pb-${hashOf(this.#experiment, this.#taskKey, String(this.#blocks), String(block))}-`;
  }

  #row(block: number, generation: number, claimedAt: string): StoredRow {
    const id = `${this.#prefix(block)}${generation}`;
    return { _row_id: id, block, blocks: this.#blocks, generation, task_key: this.#taskKey, pipeline_run: this.#runId, claimed_at: claimedAt };
  }

  /** Claim the rows' blocks, new blocks in one append; then say what to do with each row. */
  async claimMany(reqs: readonly ClaimRequest[]): Promise<StageClaim[]> {
    if (reqs.length === 0) return [];
    const table = await this.#claims();
    await this.#recheckOwn(table);
    const fresh = new Set<number>();
    const known = new Set<number>();
    for (const r of reqs) {
      const b = this.#blockOf(r.rowId);
      if (this.#mine.has(b) || fresh.has(b) || known.has(b)) continue;
      const h = this.#holders.get(b);
      if (h === undefined) fresh.add(b);
      // Held by a live runner: asked again once the input ends (no read of the claims per batch).
      else if (h.released || h.runId === this.#runId || !(await this.#isLive(h.runId))) known.add(b);
    }
    if (fresh.size > 0) {
      const now = new Date().toISOString();
      try {
        await table[appendOwned]([...fresh].map((b) => this.#row(b, 0, now)));
        for (const b of fresh) this.#mine.set(b, { generation: 0, check: false });
      } catch (error) {
        if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error;
        for (const b of fresh) known.add(b); // another runner claimed some: block by block
      }
    }
    const checked: number[] = [];
    for (const b of known) if (await this.#claimBlock(b)) checked.push(b);
    if (checked.length > 0) await this.#readLate(new Set(checked));
    return this.#verdicts(reqs, this.#late);
  }

  /**
   * When this run's own record looks dead to others (its heartbeat stalled past four beats:
   * a suspended process, a storage outage), they may have taken its blocks over: a block
   * with a next generation is no longer this run's, and its rows are asked again.
   */
  async #recheckOwn(table: Table): Promise<void> {
    if (this.#mine.size === 0 || (await this.#isLive(this.#runId))) return;
    for (const [block, held] of this.#mine) {
      if (await get(table, `${this.#prefix(block)}${held.generation + 1}`)) this.#mine.delete(block);
    }
  }

  /** Ask again about rows that were held: their results (read now), else their blocks (taken over once their runner ended). */
  async claimAgain(reqs: readonly ClaimRequest[]): Promise<StageClaim[]> {
    await this.#recheckOwn(await this.#claims());
    const checked = new Set<number>();
    for (const b of new Set(reqs.map((r) => this.#blockOf(r.rowId)))) if (!this.#mine.has(b) && (await this.#claimBlock(b))) checked.add(b);
    if (checked.size > 0) await this.#readLate(checked);
    const ids = new Set(reqs.map((r) => resultId(r.rowId, r.key)));
    const found = new Map<string, StoredResult>();
    for await (const row of this.#results.entries()) if (ids.has(row._row_id)) found.set(row._row_id, row);
    return this.#verdicts(reqs, found);
  }

  /**
   * Results of rows of `blocks` (taken over or resumed: their earlier holder may have stored
   * some since this run read the results), kept for the rows of those blocks still to come.
   * One read of the results (a `get` each costs a scan on some backends).
   */
  async #readLate(blocks: ReadonlySet<number> | undefined): Promise<void> {
    for await (const row of this.#results.entries()) {
      const old = this.#oldRows.has(`${row.dataset_row_id}\u0000${row.cache_key}`);
      if (old || blocks?.has(this.#blockOf(row.dataset_row_id))) this.#late.set(row._row_id, row);
    }
  }

  /** Each row's verdict: its result when `results` has one, else its block's. */
  async #verdicts(reqs: readonly ClaimRequest[], results: ReadonlyMap<string, StoredResult>): Promise<StageClaim[]> {
    const out: StageClaim[] = [];
    for (const r of reqs) {
      // No hash for a result id when there is nothing to look up (the common case).
      const result = results.size === 0 ? undefined : results.get(resultId(r.rowId, r.key));
      // A result is the answer, unless it is the error row this run set out to redo.
      if (result && (result.status === "ok" || resultRun(result) !== r.failedIn)) out.push({ verdict: "done", result });
      else if (!this.#mine.has(this.#blockOf(r.rowId))) out.push({ verdict: "held" });
      else out.push((await this.#oldHeld(r)) ? { verdict: "held" } : { verdict: "mine" });
    }
    return out;
  }

  /** Whether a live runner of an earlier version claimed this very row (it does not see blocks). */
  async #oldHeld(r: ClaimRequest): Promise<boolean> {
    if (this.#oldRows.size === 0) return false;
    const runId = this.#oldRows.get(`${r.rowId}\u0000${r.key}`);
    return runId !== undefined && runId !== this.#runId && (await this.#isLive(runId));
  }

  /**
   * Claim one block: this run's already (resumed), held by a live runner, or taken with the
   * next free generation. True when it is now this run's and an earlier holder may have
   * stored results of it.
   */
  async #claimBlock(block: number): Promise<boolean> {
    const table = await this.#claims();
    const prefix = this.#prefix(block);
    for (let round = 0; round < 100; round++) {
      let generation = this.#holders.get(block)?.generation ?? 0;
      let holder: StoredRow | undefined;
      for (;;) {
        const row = await get(table, `${prefix}${generation}`);
        if (!row) break;
        holder = row;
        generation++;
      }
      const runId = holder === undefined ? undefined : String(holder.pipeline_run);
      // This run's own claim: resumed, or a batch append that failed part-way.
      if (runId === this.#runId) {
        this.#mine.set(block, { generation: generation - 1, check: true });
        return true;
      }
      if (runId !== undefined) {
        this.#holders.set(block, { generation: generation - 1, runId, released: false });
        if ((await this.#isLive(runId)) && !(await get(table, `${prefix}${generation - 1}-released`))) return false;
      }
      try {
        await table[appendOwned]([this.#row(block, generation, new Date().toISOString())]);
        this.#holders.delete(block);
        this.#mine.set(block, { generation, check: runId !== undefined });
        return runId !== undefined;
      } catch (error) {
        if (!hasErrorCode(error, "ERR_THEMIS_ALREADY_EXISTS")) throw error; // another runner took it: look again
      }
    }
    return false; // still contested: its rows are held, and asked again
  }

  /**
   * The stage is over and its results stored: release the blocks this run holds, so that a
   * runner waiting on them takes them over now rather than when this whole run ends. A hint
   * only: a release that cannot be written leaves them to that later takeover.
   */
  async release(): Promise<void> {
    if (this.#mine.size === 0 || this.#table === undefined) return;
    const table = await this.#table;
    const rows: StoredRow[] = [];
    for (const [block, { generation }] of this.#mine) {
      const id = `${this.#prefix(block)}${generation}-released`;
      rows.push({ _row_id: id, block, blocks: this.#blocks, generation, task_key: this.#taskKey, released: true, pipeline_run: this.#runId });
    }
    this.#mine.clear();
    await table[appendOwned](rows).catch(() => undefined);
  }

  async #isLive(runId: string): Promise<boolean> {
    const cached = this.#live.get(runId);
    if (cached && Date.now() - cached.at < 500) return cached.live;
    const live = isLive(await get(this.#runs, runId), this.#watch);
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
