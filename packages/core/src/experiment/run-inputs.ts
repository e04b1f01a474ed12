import { setTimeout as delay } from "node:timers/promises";
import { ROW_ID, type Row, type StoredRow } from "../rows.js";
import type { Dataset } from "../storage/table.js";
import type { RowClaims } from "./claims.js";

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

const MIN_BATCH = 16;
const MAX_BATCH = 512;

/**
 * The dataset rows this run should compute, in dataset order: rows done earlier are
 * skipped, the rest are claimed in batches (one append per batch; the batch grows while
 * nobody else claims, and shrinks back on a conflict so runners keep splitting the work).
 * Rows a live runner holds are looked at again at the end: yielded when their runner
 * dies, dropped when it finishes them.
 */
export async function* claimedRows<I extends Row>(dataset: Dataset<I>, settings: InputSettings, hooks: InputHooks): AsyncGenerator<StoredRow<I>> {
  const held: StoredRow<I>[] = [];
  let size = MIN_BATCH;
  let batch: StoredRow<I>[] = [];
  async function* drain(): AsyncGenerator<StoredRow<I>> {
    const verdicts = await settings.claims.claimMany(batch.map((r) => r[ROW_ID]));
    let conflict = false;
    for (const row of batch) {
      const verdict = verdicts.get(row[ROW_ID]);
      if (verdict === "mine") yield row;
      else {
        conflict = true;
        if (verdict === "held") held.push(row);
        else hooks.onClaimedElsewhere();
      }
    }
    size = conflict ? MIN_BATCH : Math.min(size * 2, MAX_BATCH);
    batch = [];
  }
  let read = 0;
  for await (const row of dataset.entries()) {
    read++;
    if (settings.done.has(row[ROW_ID])) {
      hooks.onSkipped();
      continue;
    }
    batch.push(row);
    if (batch.length >= size) yield* drain();
  }
  hooks.onDatasetRead(read);
  if (batch.length > 0) yield* drain();
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
