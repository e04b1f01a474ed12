import { setTimeout as delay } from "node:timers/promises";
import { ROW_ID, type Row, type StoredRow } from "../rows.js";
import type { Dataset } from "../storage/table.js";
import type { BlockReleases } from "./block-release.js";
import { BLOCK_ROWS } from "./claim-ids.js";
import type { BlockClaims, BlockVerdict } from "./claims.js";
import type { Lease } from "./run-heartbeat.js";

/** What the input stream tells the run about rows it does not yield. */
export interface InputHooks {
  /** A row an earlier run did (`resume`). */
  onSkipped(): void;
  /** A row another runner did while this one ran. */
  onClaimedElsewhere(): void;
  /** The whole dataset was read: it has this many rows. */
  onDatasetRead(rows: number): void;
}

/** Settings of {@link claimedRows}. */
export interface InputSettings {
  /** Dataset row ids done by earlier runs (skipped without a claim). */
  done: { has(id: string): boolean };
  claims: BlockClaims;
  /** Told which rows of each block this run takes, so that it releases the block once they are stored. */
  releases: BlockReleases;
  /** Milliseconds between looks at blocks a live runner holds, once the dataset is read. */
  pollMs: number;
  /** The run's heartbeat: rows of a block start only while the run's claim on it holds. */
  lease: Lease;
  signal: AbortSignal;
}

/** A row for the run to compute, and the index of its block (the run releases the block once its rows are stored). */
export interface ClaimedRow<I extends Row> {
  row: StoredRow<I>;
  block: number;
}

/** A block of the dataset with the rows of it not done earlier (at least one). */
interface RowBlock<I extends Row> {
  index: number;
  rows: StoredRow<I>[];
}

/** Blocks and what claiming them gave. */
interface Claimed<I extends Row> {
  blocks: RowBlock<I>[];
  verdicts: Map<number, BlockVerdict>;
  /** The lease epoch before the claim's append (see `Lease`). */
  epoch: number;
}

/** Blocks claimed in one append: from 1 (64 rows) to 8 (512 rows). */
const MIN_BLOCKS = 1;
const MAX_BLOCKS = 8;

async function claim<I extends Row>(claims: BlockClaims, blocks: RowBlock<I>[]): Promise<Map<number, BlockVerdict>> {
  return claims.claimBlocks(blocks.map((b) => ({ index: b.index, rows: b.rows.map((r) => r[ROW_ID]) })));
}

/**
 * A source of items whose `next()` answers at once when it can: `map`'s input pump takes a
 * plain result as readily as a promise of one, so a row costs no promise while its block
 * lasts and the lease is fresh (most rows), and only a block boundary or a lapse waits.
 */
export interface RowSource<T> {
  next(): IteratorResult<T, undefined> | Promise<IteratorResult<T, undefined>>;
  /** Stop early: ends the claiming and closes the dataset's stream. */
  return(): Promise<IteratorResult<T, undefined>>;
}

/**
 * The rows of `source` as `map`'s input, and the claimed row behind each index `map` gives
 * (it numbers items in the order it reads them). A row the source answers at once stays a
 * plain result: `map`'s input pump takes one without a promise.
 */
export function mapInput<I extends Row>(
  source: RowSource<ClaimedRow<I>>,
  onStart: () => void,
): { items: AsyncIterable<StoredRow<I>>; started: Map<number, ClaimedRow<I>> } {
  const started = new Map<number, ClaimedRow<I>>();
  let index = 0;
  const step = (result: IteratorResult<ClaimedRow<I>, undefined>): IteratorResult<StoredRow<I>, undefined> => {
    if (result.done) return result;
    started.set(index++, result.value);
    onStart();
    return { done: false, value: result.value.row };
  };
  const iterator = {
    next: () => {
      const result = source.next();
      return result instanceof Promise ? result.then(step) : step(result);
    },
    return: () => source.return(),
  };
  return { items: { [Symbol.asyncIterator]: () => iterator as unknown as AsyncIterator<StoredRow<I>> }, started };
}

/**
 * The dataset rows this run should compute, in dataset order. The dataset is cut into
 * blocks of {@link BLOCK_ROWS} rows by position (see `BLOCK_ROWS`); rows done earlier are
 * skipped, and each block with rows left is claimed with one claim row, several blocks per
 * append (more while nobody else claims, one again on a conflict so runners keep splitting
 * the work). The next blocks are read and claimed while the current ones run, so the claim's
 * append is off the rows' path. Blocks a live runner holds are looked at again at the end:
 * their rows are yielded when that runner ends without a result for them. Each row starts
 * only while the run's lease holds (see {@link LeasedRows}).
 */
export function claimedRows<I extends Row>(dataset: Dataset<I>, settings: InputSettings, hooks: InputHooks): RowSource<ClaimedRow<I>> {
  return new LeasedRows(claimedBlocks(dataset, settings, hooks), settings, hooks);
}

/** The rows of a block this run holds, to run, and the lease epoch its claim was made under. */
interface BlockRows<I extends Row> {
  index: number;
  generation: number;
  rows: readonly StoredRow<I>[];
  epoch: number;
}

/** The blocks of {@link claimedRows}, claimed; each with rows for this run. */
async function* claimedBlocks<I extends Row>(dataset: Dataset<I>, settings: InputSettings, hooks: InputHooks): AsyncGenerator<BlockRows<I>> {
  const held: RowBlock<I>[] = [];
  let size = MIN_BLOCKS;
  const source = dataset.entries()[Symbol.asyncIterator]();
  let position = 0;
  let ended = false;
  /** The next block with rows not done; undefined at the dataset's end. */
  const readBlock = async (): Promise<RowBlock<I> | undefined> => {
    while (!ended) {
      const index = Math.floor(position / BLOCK_ROWS);
      const rows: StoredRow<I>[] = [];
      while (position < (index + 1) * BLOCK_ROWS) {
        const next = await source.next();
        if (next.done) {
          ended = true;
          hooks.onDatasetRead(position);
          break;
        }
        position++;
        if (settings.done.has(next.value[ROW_ID])) hooks.onSkipped();
        else rows.push(next.value);
      }
      if (rows.length > 0) return { index, rows };
    }
    return undefined;
  };
  /** The next `size` blocks with rows not done, claimed in one append; undefined at the dataset's end. */
  const claimNext = async (): Promise<Claimed<I> | undefined> => {
    const blocks: RowBlock<I>[] = [];
    while (blocks.length < size) {
      const block = await readBlock();
      if (!block) break;
      blocks.push(block);
    }
    if (blocks.length === 0) return undefined;
    const epoch = settings.lease.epoch;
    return { blocks, verdicts: await claim(settings.claims, blocks), epoch };
  };
  let pending: Promise<Claimed<I> | undefined> | undefined = claimNext();
  try {
    for (;;) {
      const current: Claimed<I> | undefined = await pending;
      pending = undefined;
      if (!current) break;
      const conflict = current.blocks.some((b) => current.verdicts.get(b.index)?.verdict !== "mine");
      size = conflict ? MIN_BLOCKS : Math.min(size * 2, MAX_BLOCKS);
      pending = claimNext();
      for (const block of current.blocks) {
        const mine = settle(block, current.verdicts.get(block.index), held, settings.releases, hooks, current.epoch);
        if (mine) yield mine;
      }
    }
  } finally {
    // Left early (a cancel): the claim under way must not end as an unhandled rejection
    // (its blocks stay claimed by this run, taken over like those of any ended run).
    pending?.catch(() => undefined);
    await source.return?.(undefined);
  }
  let waiting = held.splice(0);
  while (waiting.length > 0 && !settings.signal.aborted) {
    await delay(settings.pollMs, undefined, { signal: settings.signal }).catch(() => undefined);
    if (settings.signal.aborted) return;
    const epoch = settings.lease.epoch;
    const verdicts = await claim(settings.claims, waiting);
    const still: RowBlock<I>[] = [];
    for (const block of waiting) {
      const mine = settle(block, verdicts.get(block.index), still, settings.releases, hooks, epoch);
      if (mine) yield mine;
    }
    waiting = still;
  }
}

/** The rows of a block to run, by its verdict: a held block goes to `held`, rows done elsewhere are counted. */
function settle<I extends Row>(
  block: RowBlock<I>,
  verdict: BlockVerdict | undefined,
  held: RowBlock<I>[],
  releases: BlockReleases,
  hooks: InputHooks,
  epoch: number,
): BlockRows<I> | undefined {
  if (verdict?.verdict === "held") {
    held.push(block);
    return undefined;
  }
  if (verdict?.verdict !== "mine") {
    for (const _ of block.rows) hooks.onClaimedElsewhere();
    return undefined;
  }
  const mine = verdict.finished.size === 0 ? block.rows : block.rows.filter((row) => !verdict.finished.has(row[ROW_ID]));
  for (let i = mine.length; i < block.rows.length; i++) hooks.onClaimedElsewhere();
  releases.hold(block.index, verdict.generation, mine.length);
  return mine.length > 0 ? { index: block.index, generation: verdict.generation, rows: mine, epoch } : undefined;
}

/**
 * The rows of the claimed blocks, each once the run's heartbeat is fresh; after a lapse (the
 * run may have looked dead, see `Lease`) the claim is checked again before the next row
 * starts, and the rest of a block another runner took over is left to it. Rows already
 * started when the run froze cannot be called back: they may run twice, and their results
 * replace one another (one result row per dataset row either way).
 */
class LeasedRows<I extends Row> implements RowSource<ClaimedRow<I>> {
  readonly #blocks: AsyncGenerator<BlockRows<I>>;
  readonly #settings: InputSettings;
  readonly #hooks: InputHooks;
  #block: BlockRows<I> | undefined;
  /** Position of the next row in `#block`. */
  #at = 0;
  /** The lease epoch under which this run last knew it held `#block`. */
  #checked = 0;

  constructor(blocks: AsyncGenerator<BlockRows<I>>, settings: InputSettings, hooks: InputHooks) {
    this.#blocks = blocks;
    this.#settings = settings;
    this.#hooks = hooks;
  }

  next(): IteratorResult<ClaimedRow<I>, undefined> | Promise<IteratorResult<ClaimedRow<I>, undefined>> {
    const block = this.#block;
    if (block && this.#at < block.rows.length && this.#settings.lease.current() === this.#checked) return this.#take(block);
    return this.#wait();
  }

  async return(): Promise<IteratorResult<ClaimedRow<I>, undefined>> {
    this.#block = undefined;
    await this.#blocks.return(undefined);
    return { done: true, value: undefined };
  }

  #take(block: BlockRows<I>): IteratorResult<ClaimedRow<I>, undefined> {
    return { done: false, value: { row: block.rows[this.#at++]!, block: block.index } };
  }

  /** The next row once the lease allows it: at a block's start, after a lapse, or when a block must be read and claimed. */
  async #wait(): Promise<IteratorResult<ClaimedRow<I>, undefined>> {
    for (;;) {
      const block = this.#block;
      if (block && this.#at < block.rows.length) {
        const now = await this.#settings.lease.fresh(this.#settings.signal);
        if (now === this.#checked) return this.#take(block);
        if (await this.#settings.claims.stillHolds(block.index, block.generation)) {
          this.#checked = now;
          return this.#take(block);
        }
        for (let i = this.#at; i < block.rows.length; i++) this.#hooks.onClaimedElsewhere();
        this.#block = undefined;
        continue;
      }
      const next = await this.#blocks.next();
      if (next.done) {
        this.#block = undefined;
        return { done: true, value: undefined };
      }
      this.#block = next.value;
      this.#at = 0;
      this.#checked = next.value.epoch;
    }
  }
}
