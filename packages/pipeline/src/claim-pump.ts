import type { StoredResult } from "./cache.js";
import type { ClaimRequest, StageClaim, StageClaims } from "./claims.js";
import { AsyncQueue } from "./queue.js";
import type { WorkItem } from "./stage-task.js";

/** Rows claimed in one append at most. */
const CLAIM_BATCH = 512;

/** A row to run once claimed; `failedIn`: the run of the error row it redoes. */
export interface ClaimCandidate {
  readonly item: WorkItem;
  readonly failedIn: string | undefined;
}

const request = (c: ClaimCandidate): ClaimRequest => ({ rowId: c.item.rowId, key: c.item.key.key, failedIn: c.failedIn });

/** What the pump does with a row another runner did. */
export type OnDoneElsewhere = (item: WorkItem, result: StoredResult) => void;

/**
 * Claims a stage's rows before they run, with group commit: rows that arrive while a claim
 * append is under way go together in the next one, so a stage fed one row at a time by its
 * upstream still claims in batches (one storage append each) and never waits for a batch to
 * fill. Rows this runner wins are pushed to `ready` (what the stage runs); rows another runner
 * did go to `onDone`; rows a live runner holds are asked again after the input ends, until
 * they are done or free.
 */
export class ClaimPump {
  readonly ready = new AsyncQueue<WorkItem>();
  readonly #claims: StageClaims;
  readonly #onDone: OnDoneElsewhere;
  #queued: ClaimCandidate[] = [];
  #held: ClaimCandidate[] = [];
  #inFlight: Promise<void> | undefined;
  #error: unknown;
  #stopped = false;

  constructor(claims: StageClaims, onDone: OnDoneElsewhere) {
    this.#claims = claims;
    this.#onDone = onDone;
  }

  /** Claim a row (in the next append). */
  add(candidate: ClaimCandidate): void {
    this.#queued.push(candidate);
    // Not after an error: see ResultWriter.add (a drain that ends synchronously would leave
    // a settled #inFlight behind, and finish would spin on it).
    if (this.#error === undefined) this.#inFlight ??= this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queued.length > 0 && this.#error === undefined) {
        const batch = this.#queued.splice(0, CLAIM_BATCH);
        this.#apply(batch, await this.#claims.claimMany(batch.map(request)));
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.#inFlight = undefined;
    }
  }

  #apply(batch: readonly ClaimCandidate[], verdicts: readonly StageClaim[]): void {
    for (const [i, c] of batch.entries()) {
      const claim = verdicts[i];
      if (claim?.verdict === "mine") this.ready.push(c.item);
      else if (claim?.verdict === "done") this.#onDone(c.item, claim.result);
      else this.#held.push(c);
    }
  }

  /** The input has ended: finish the claims under way, wait out the held rows, end `ready`. */
  async finish(signal: AbortSignal): Promise<void> {
    while (this.#inFlight) await this.#inFlight;
    for (let wait = 50; this.#held.length > 0 && !signal.aborted && this.#error === undefined; wait = Math.min(wait * 2, 1000)) {
      await new Promise((resolve) => setTimeout(resolve, wait));
      const again = this.#held;
      this.#held = [];
      this.#apply(again, await this.#claims.claimAgain(again.map(request)));
    }
    this.ready.end();
  }

  /** Stop: `ready` ends, and {@link throwIfFailed} throws `error`. */
  fail(error: unknown): void {
    this.#error ??= error;
    this.#stopped = true;
    this.ready.end();
  }

  /** True once {@link fail} was called: the input need not be read further. */
  get stopped(): boolean {
    return this.#stopped;
  }

  throwIfFailed(): void {
    if (this.#error !== undefined) throw this.#error;
  }
}
