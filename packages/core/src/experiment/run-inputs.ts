import { setTimeout as delay } from "node:timers/promises";
import { ROW_ID, type Row, type StoredRow } from "../rows.js";
import type { Dataset } from "../storage/table.js";
import type { ClaimVerdict, RowClaims } from "./claims.js";

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
  claims: RowClaims;
  /** Milliseconds between looks at rows a live runner holds, once the dataset is read. */
  pollMs: number;
  signal: AbortSignal;
}

/** A batch of rows and what claiming them gave. */
interface Claimed<I extends Row> {
  batch: StoredRow<I>[];
  verdicts: Map<string, ClaimVerdict>;
}

const MIN_BATCH = 16;
const MAX_BATCH = 512;

/**
 * The dataset rows this run should compute, in dataset order: rows done earlier are
 * skipped, the rest are claimed in batches (one append per batch; the batch grows while
 * nobody else claims, and shrinks back on a conflict so runners keep splitting the work).
 * The next batch is read and claimed while the current one runs, so the claim's append is
 * off the rows' path. Rows a live runner holds are looked at again at the end: yielded when
 * their runner dies, dropped when it finishes them.
 */
export async function* claimedRows<I extends Row>(dataset: Dataset<I>, settings: InputSettings, hooks: InputHooks): AsyncGenerator<StoredRow<I>> {
  const held: StoredRow<I>[] = [];
  let size = MIN_BATCH;
  const source = dataset.entries()[Symbol.asyncIterator]();
  let read = 0;
  let ended = false;
  /** The next `size` rows not done, claimed in one append; undefined at the dataset's end. */
  const claimNext = async (): Promise<Claimed<I> | undefined> => {
    const batch: StoredRow<I>[] = [];
    while (!ended && batch.length < size) {
      const next = await source.next();
      if (next.done) {
        ended = true;
        hooks.onDatasetRead(read);
        break;
      }
      read++;
      if (settings.done.has(next.value[ROW_ID])) hooks.onSkipped();
      else batch.push(next.value);
    }
    if (batch.length === 0) return undefined;
    return { batch, verdicts: await settings.claims.claimMany(batch.map((r) => r[ROW_ID])) };
  };
  let pending: Promise<Claimed<I> | undefined> | undefined = claimNext();
  try {
    for (;;) {
      const current: Claimed<I> | undefined = await pending;
      pending = undefined;
      if (!current) break;
      const conflict = current.batch.some((row) => current.verdicts.get(row[ROW_ID]) !== "mine");
      size = conflict ? MIN_BATCH : Math.min(size * 2, MAX_BATCH);
      pending = claimNext();
      for (const row of current.batch) {
        const verdict = current.verdicts.get(row[ROW_ID]);
        if (verdict === "mine") yield row;
        else if (verdict === "held") held.push(row);
        else hooks.onClaimedElsewhere();
      }
    }
  } finally {
    // Left early (a cancel): the claim under way must not end as an unhandled rejection
    // (its rows stay claimed by this run, taken over like those of any ended run).
    pending?.catch(() => undefined);
    await source.return?.(undefined);
  }
  let waiting = held.splice(0);
  while (waiting.length > 0 && !settings.signal.aborted) {
    await delay(settings.pollMs, undefined, { signal: settings.signal }).catch(() => undefined);
    if (settings.signal.aborted) return;
    // One batch again: settled from the holders a resumed run read, else row by row.
    const verdicts = await settings.claims.claimMany(waiting.map((r) => r[ROW_ID]));
    const still: StoredRow<I>[] = [];
    for (const row of waiting) {
      const verdict = verdicts.get(row[ROW_ID]);
      if (verdict === "mine") yield row;
      else if (verdict === "held") still.push(row);
      else hooks.onClaimedElsewhere();
    }
    waiting = still;
  }
}
