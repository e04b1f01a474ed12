import { ConflictError, NotFoundError, type StoredRow, hasErrorCode } from "@themis/core";
import { GroupCommitQueue, type GroupOutcome, type RowChange, retryTransient } from "@themis/core/backend";
import { BACKEND_NAME } from "./config.js";
import { type CompactionResult, compactTable } from "./compaction.js";
import { TableState } from "./fold.js";
import type { TablePaths } from "./layout.js";
import { type Manifest, type ManifestVersion, parseManifest } from "./manifest.js";
import type { ObjectStore } from "./object-store.js";
import { rowStream } from "./row-stream.js";
import { parseRow, rowIdOf } from "./segment-format.js";
import { SegmentWrite } from "./segment-write.js";
import { ObjectGone, TableReader } from "./table-reader.js";
import { type Plan, planSegment } from "./write-plan.js";

export type { CompactionResult } from "./compaction.js";

/** Tuning shared by every table of a backend instance. */
export interface TableLogOptions {
  compactAfterSegments: number;
  gracePeriodMs: number;
  maxConflictRetries: number;
  /** Rows up to which a writer keeps the rows in memory (default LINE_CACHE_ROWS; tests lower it). */
  cacheRows?: number;
}

/** Where the next segment of a write goes: after `state.lastSeq` of incarnation `tableId`. */
interface Position {
  tableId: string;
  seq: number;
  state: TableState;
}

/**
 * One table's log on S3: immutable numbered segments (each created with If-None-Match: *,
 * so two writers can never both write segment N) plus a compacted base named by a small
 * manifest that only changes with If-Match. Reads fold base + segments as a stream; writes
 * queued in this process while a segment is in flight go out together in the next one.
 *
 * Memory: a writer keeps the rows up to LINE_CACHE_ROWS rows, then only the ids as
 * fingerprints (core's IdSet, ~4-5 bytes a row from 1M rows on); reads stream (table-reader.ts).
 */
export class TableLog {
  readonly #reader: TableReader;
  readonly #label: string;
  readonly #options: TableLogOptions;
  #manifest: ManifestVersion | undefined;
  /** Highest segment number known to exist (a hint; conflicts correct it). */
  #tail: number | undefined;
  /** performance.now() when the request that taught us `#tail` was sent. */
  #tailSeenAt = -Infinity;
  #folded: TableState | undefined;
  /** Writes go out in group commits; reads run between them (both change the folded state). */
  readonly #queue = new GroupCommitQueue<RowChange>((batch) => this.#commit(batch));
  #compaction: Promise<unknown> | undefined;

  constructor(store: ObjectStore, paths: TablePaths, label: string, options: TableLogOptions) {
    this.#reader = new TableReader(store, paths, label);
    this.#label = label;
    this.#options = options;
  }

  /** Run `fn` after every earlier read and write (reads and commits change the folded state). */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.#queue.exclusive(fn);
  }

  #forget(): void {
    this.#folded = undefined;
    this.#tail = undefined;
    this.#tailSeenAt = -Infinity;
  }

  /** The current manifest (a conditional GET: unchanged manifests cost a 304). NotFoundError when the table is gone. */
  async readManifest(): Promise<ManifestVersion> {
    const cached = this.#manifest;
    const { paths } = this.#reader;
    const got = await this.#reader.store.getText(paths.manifest, cached?.etag);
    if (got === "unchanged") return cached!;
    if (got === undefined) {
      this.#manifest = undefined;
      this.#forget();
      throw new NotFoundError(`${this.#label} does not exist`, { backend: BACKEND_NAME });
    }
    const version = { value: parseManifest(got.body, this.#reader.where(paths.manifest)), etag: got.etag };
    // The table was deleted and created again: nothing cached belongs to it.
    if (this.#manifest && this.#manifest.value.tableId !== version.value.tableId) this.#forget();
    this.#manifest = version;
    return version;
  }

  /** Retry a read that raced with a compaction deleting what it was reading. */
  async #retryGone<T>(read: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await read();
      } catch (error) {
        if (!(error instanceof ObjectGone)) throw error;
        this.#folded = undefined;
        if (attempt >= 3) {
          throw new ConflictError(`${this.#label}: compactions keep deleting what this read needs (raise gracePeriodMs)`, {
            backend: BACKEND_NAME,
            cause: error,
          });
        }
      }
    }
  }

  /**
   * Bring the folded state up to the newest segment: only what changed since the last call is
   * fetched (also across a compaction, as long as the segments it folded are certainly still
   * there; else the new base is read). `onSegment` sees the writeId of every segment folded
   * in. Call under the lock.
   */
  async #refresh(onSegment?: (seq: number, writeId: string) => void): Promise<TableState> {
    return this.#retryGone(async () => {
      const { value: m } = await this.readManifest();
      let folded = this.#folded;
      if (folded && (folded.tableId !== m.tableId || (folded.lastSeq < m.upTo && performance.now() - folded.seenAt >= this.#options.gracePeriodMs / 2)))
        folded = undefined;
      const listedAt = performance.now();
      const listed = folded !== undefined;
      let segments = folded ? await this.#reader.segmentsAfter(m.tableId, folded.lastSeq) : [];
      // Catching up through compacted segments needs every one of them (seq lastSeq+1..upTo).
      if (folded && folded.lastSeq < m.upTo && segments.filter((s) => s.seq <= m.upTo).length !== m.upTo - folded.lastSeq) folded = undefined;
      if (!folded) {
        folded = new TableState(m.tableId, m.upTo, this.#options.cacheRows);
        const where = this.#reader.where(m.base?.key ?? "");
        for await (const lines of this.#reader.readBase(m)) for (const line of lines) folded.addBaseRow(rowIdOf(line, where), line);
        this.#folded = folded;
        segments = listed ? segments.filter((s) => s.seq > m.upTo) : await this.#reader.segmentsAfter(m.tableId, m.upTo);
      }
      for await (const { seq, ops, writeId } of this.#reader.readSegments(segments)) {
        folded.apply(ops);
        folded.lastSeq = seq;
        onSegment?.(seq, writeId);
      }
      folded.seenAt = listedAt;
      if (folded.lastSeq >= (this.#tail ?? 0)) {
        this.#tail = folded.lastSeq;
        this.#tailSeenAt = listedAt;
      }
      return folded;
    });
  }

  /** Every row, in table order: from memory for a small table, else streamed. */
  async load(): Promise<StoredRow[]> {
    const lines = await this.#exclusive(async () => (await this.#refresh()).lines);
    if (!lines) {
      const out: StoredRow[] = [];
      for await (const row of this.entries()) out.push(row);
      return out;
    }
    const out: StoredRow[] = new Array(lines.size);
    let i = 0;
    for (const line of lines.values()) out[i++] = parseRow(line, this.#label);
    return out;
  }

  /** One row, or undefined: from memory for a small table, else by streaming the table (O(rows)). */
  async get(id: string): Promise<StoredRow | undefined> {
    const found = await this.#exclusive(async () => {
      const state = await this.#refresh();
      return state.lines ? (state.lines.get(id) ?? null) : state.has(id) === "no" ? null : undefined;
    });
    if (found !== undefined) return found === null ? undefined : parseRow(found, this.#label);
    for await (const row of this.entries()) if (row._row_id === id) return row;
    return undefined;
  }

  /** Every row in table order, streamed with bounded memory (see TableReader.fold). */
  entries(): AsyncIterableIterator<StoredRow> {
    return rowStream(async () => {
      const { manifest, segments } = await this.#retryGone(async () => {
        const { value } = await this.readManifest();
        return { manifest: value, segments: await this.#reader.segmentsAfter(value.tableId, value.upTo) };
      });
      return this.#reader.fold(manifest, segments);
    }, this.#label);
  }

  /** Which of `ids` the table holds, exactly: one streamed read of the table. */
  async #storedAmong(ids: readonly string[]): Promise<Set<string>> {
    const wanted = new Set(ids);
    const found = new Set<string>();
    for await (const row of this.entries()) if (wanted.has(row._row_id)) found.add(row._row_id);
    return found;
  }

  // ---- writes -------------------------------------------------------------------------

  /** Append rows as one batch (one segment, shared with writes queued at the same time). */
  append(rows: readonly StoredRow[]): Promise<void> {
    return this.#queue.enqueue({ kind: "append", rows });
  }
  /** Replace a row in place. NotFoundError when no row has its id. */
  update(row: StoredRow): Promise<void> {
    return this.#queue.enqueue({ kind: "update", row });
  }
  /** Remove a row. NotFoundError when no row has that id. */
  delete(id: string): Promise<void> {
    return this.#queue.enqueue({ kind: "delete", id });
  }

  /**
   * After creating segment `seq`: make sure it is above the compacted range, or return the
   * manifest that says it is not. A number below `upTo` can only be free because a
   * compaction folded the segment another writer had put there and deleted it after the
   * grace period; that takes longer than half the grace period after our tail was learned
   * (compactors' clocks may disagree by the other half), so a fresh tail needs no check:
   * returns undefined then. Throws NotFoundError (after removing the segment) when the
   * table was deleted meanwhile.
   */
  async #checkAbove(key: string, tableId: string): Promise<Manifest | undefined> {
    if (performance.now() - this.#tailSeenAt < this.#options.gracePeriodMs / 2) return undefined;
    const { store } = this.#reader;
    let m: Manifest;
    try {
      m = (await this.readManifest()).value;
    } catch (error) {
      // Table deleted: the segment belongs to nothing. Any other failure leaves the outcome
      // unknown, as a lost PUT response would (a retry with the same row ids is safe).
      if (hasErrorCode(error, "ERR_THEMIS_NOT_FOUND")) await store.delete(key).catch(() => undefined);
      throw error;
    }
    if (m.tableId !== tableId) {
      await store.delete(key);
      throw new NotFoundError(`${this.#label} was deleted while writing to it`, { backend: BACKEND_NAME });
    }
    return m;
  }

  /** Where a write goes without any request: the state folded up to the tail this writer knows, if current. */
  #knownPosition(): Position | undefined {
    const known = this.#folded;
    if (!known || !this.#manifest || known.tableId !== this.#manifest.value.tableId || known.lastSeq !== this.#tail) return undefined;
    return { tableId: known.tableId, seq: known.lastSeq + 1, state: known };
  }

  /** Fold in what other writers added; notes a segment of this very write found on the way. */
  async #position(write: SegmentWrite): Promise<Position> {
    const state = await this.#refresh((seq, id) => write.noticed(seq, id));
    return { tableId: state.tableId, seq: state.lastSeq + 1, state };
  }

  /**
   * Write one segment holding `batch`: claim the next number with If-None-Match: *, and on
   * a conflict fold in the segments other writers added (the rows the plan is checked
   * against) and try the next number, with jittered backoff (`retryTransient`, 10 ms
   * doubling up to 1 s), up to maxConflictRetries times. The plan is checked against the
   * state folded up to the segment before ours, so a segment that is created was checked
   * against everything before it: two writers appending one id, one wins and the other,
   * folding the winner's segment, answers ALREADY_EXISTS. A segment of this very write found
   * while folding (its writeId: a PUT that landed though it looked lost) answers the write as done.
   */
  async #commit(batch: readonly RowChange[]): Promise<GroupOutcome> {
    const write = new SegmentWrite(this.#reader.store, this.#reader.paths);
    // The one failure worth another attempt: the segment number was taken by the time we tried.
    let lost: ConflictError | undefined;
    try {
      return await retryTransient(
        async (attempt) => {
          const at = attempt === 1 ? (this.#knownPosition() ?? (await this.#position(write))) : await this.#position(write);
          const landed = write.landedPlan();
          if (landed) {
            // A PUT answered as lost had created our segment after all: it is in the state now.
            this.#maybeCompact(landed.seq, this.#manifest?.value);
            return outcome(batch, landed.plan);
          }
          const plan = await planSegment(batch, at.state, this.#label, (ids) => this.#storedAmong(ids));
          if (plan.ops.length === 0 || (await this.#tryPut(write, at, plan))) return outcome(batch, plan);
          lost = new ConflictError(
            `${this.#label}: other writers kept taking the next segment number (${attempt} attempts, precondition failed each time); retry later or raise maxConflictRetries`,
            { backend: BACKEND_NAME },
          );
          throw lost;
        },
        { retries: this.#options.maxConflictRetries, minDelayMs: 10, maxDelayMs: 1000, retryOn: (error) => error === lost },
      );
    } catch (error) {
      await write.abandon();
      throw error;
    }
  }

  /** One attempt at segment `at.seq`. True when it is written (and folded into the state). */
  async #tryPut(write: SegmentWrite, at: Position, plan: Plan): Promise<boolean> {
    const sentAt = performance.now();
    const created = await write.put(at.tableId, at.seq, plan);
    if (!created) return false;
    const m = await this.#checkAbove(write.key(at.tableId, at.seq), at.tableId);
    if (m !== undefined && m.upTo >= at.seq) {
      // Our number had already been compacted and its object deleted (this writer's tail
      // was stale): nobody reads below upTo, so take ours back and write above it.
      await write.takeBack(at.tableId, at.seq);
      return false;
    }
    if (at.seq > (this.#tail ?? 0)) {
      this.#tail = at.seq;
      this.#tailSeenAt = sentAt;
    }
    const folded = this.#folded;
    if (folded && folded.tableId === at.tableId && folded.lastSeq === at.seq - 1) {
      folded.apply(plan.ops);
      folded.lastSeq = at.seq;
      folded.seenAt = sentAt;
    }
    this.#maybeCompact(at.seq, m ?? this.#manifest?.value);
    return true;
  }

  // ---- compaction ---------------------------------------------------------------------

  /**
   * Start a background compaction once `compactAfterSegments` segments follow the base, and
   * for large tables once there is one segment per 1,000 base rows: a compaction rewrites
   * the whole base, so waiting in proportion keeps the rewriting per appended segment bounded.
   */
  #maybeCompact(seq: number, manifest: Manifest | undefined): void {
    const threshold = this.#options.compactAfterSegments;
    if (threshold <= 0 || !manifest || this.#compaction) return;
    if (seq - manifest.upTo < Math.max(threshold, Math.ceil((manifest.base?.rows ?? 0) / 1000))) return;
    this.#compaction = this.compact()
      .catch(() => undefined) // an optimisation: the next write tries again
      .finally(() => {
        this.#compaction = undefined;
      });
  }

  /** Wait for queued writes and a background compaction, if any (a write may start one). */
  async idle(): Promise<void> {
    for (;;) {
      await this.#queue.settled();
      const compaction = this.#compaction;
      if (!compaction) return;
      await compaction;
    }
  }

  /** Fold the base and every segment after it into a new base (see compactTable). */
  compact(): Promise<CompactionResult> {
    return compactTable({
      reader: this.#reader,
      gracePeriodMs: this.#options.gracePeriodMs,
      readManifest: () => this.readManifest(),
      retryGone: (read) => this.#retryGone(read),
      replaced: (version) => {
        this.#manifest = version;
      },
    });
  }

  /** Forget cached state (the table was deleted). */
  reset(): void {
    this.#manifest = undefined;
    this.#forget();
  }
}

/** Each queued change's answer: undefined when written, its refusal from the plan. */
function outcome(batch: readonly RowChange[], plan: Plan): GroupOutcome {
  return batch.map((change) => plan.rejected.get(change));
}
