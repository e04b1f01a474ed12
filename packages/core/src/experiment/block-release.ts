import type { StoredRow } from "../rows.js";
import { type Table, appendOwned } from "../storage/table.js";
import { blockClaimIdPrefix, blockReleaseId } from "./claim-ids.js";

/** What {@link BlockReleases} needs to know about the run. */
export interface ReleaseContext {
  runId: string;
  experiment: string;
  key: string;
}

/**
 * Releases of the blocks this run holds: once the result of every row the run took from a
 * block is stored, a release row says so (see `blockReleaseId`). Releases are a hint for
 * runners waiting on the block, never needed for correctness: a release that cannot be
 * written only makes them wait until this run ends, when its blocks are taken over anyway.
 * Releases that come due while one is being written are appended together.
 */
export class BlockReleases {
  readonly #claims: Table;
  readonly #ctx: ReleaseContext;
  /** Block index -> the generation this run holds and how many of the rows it took have no stored result yet. */
  readonly #blocks = new Map<number, { generation: number; left: number }>();
  #pending: StoredRow[] = [];
  #writing: Promise<void> | undefined;

  constructor(claims: Table, ctx: ReleaseContext) {
    this.#claims = claims;
    this.#ctx = ctx;
  }

  /** The run holds block `index` (claim generation `generation`) and will run `rows` rows of it. */
  hold(index: number, generation: number, rows: number): void {
    if (rows === 0) this.#release(index, generation);
    else this.#blocks.set(index, { generation, left: rows });
  }

  /** The result of a row of block `index` is stored. */
  stored(index: number): void {
    const block = this.#blocks.get(index);
    if (!block || --block.left > 0) return;
    this.#blocks.delete(index);
    this.#release(index, block.generation);
  }

  #release(index: number, generation: number): void {
    const prefix = blockClaimIdPrefix(this.#ctx.experiment, this.#ctx.key, index);
    this.#pending.push({ _row_id: blockReleaseId(prefix, generation), block: index, generation, released: true, run_id: this.#ctx.runId });
    this.#writing ??= this.#write();
  }

  async #write(): Promise<void> {
    while (this.#pending.length > 0) {
      const rows = this.#pending;
      this.#pending = [];
      // A hint only (see the class): a failed write leaves the blocks to be taken over when the run ends.
      await this.#claims[appendOwned](rows).catch(() => undefined);
    }
    this.#writing = undefined;
  }

  /** Wait for the releases being written. */
  async settle(): Promise<void> {
    while (this.#writing) await this.#writing;
  }
}
