import { randomBytes, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { AlreadyExistsError, ConflictError, CorruptDataError, NotFoundError, type StoredRow, backoffDelay, hasErrorCode } from "@themis/core";
import { BACKEND_NAME } from "./config.js";
import { mapOrdered } from "./bounded.js";
import { type RowLines, TailFold, applyOps } from "./fold.js";
import { type TablePaths, parseBaseGeneration, parseSegmentSeq } from "./layout.js";
import { type Manifest, type ManifestVersion, type RetiredObjects, parseManifest } from "./manifest.js";
import type { ObjectStore } from "./object-store.js";
import { type Op, decodeBaseHeader, decodeBlob, decodeSegment, encodeBaseHeader, encodePointerSegment, encodeSegment, parseRow, rowIdOf, rowLine } from "./segment-format.js";

/** Tuning shared by every table of a backend instance. */
export interface TableLogOptions {
  compactAfterSegments: number;
  gracePeriodMs: number;
  maxConflictRetries: number;
}

/** Rows folded up to segment `lastSeq` of incarnation `tableId`. */
interface FoldedRows {
  tableId: string;
  lastSeq: number;
  rows: RowLines;
  /**
   * performance.now() when the request that showed `lastSeq` to be the last segment was
   * sent: no segment after it can have been deleted by a compaction sooner than half the
   * grace period later, so until then the rows can catch up through segments instead of
   * re-reading the base.
   */
  seenAt: number;
}

/** A write waiting for the next segment (writes queued together share one segment). */
type Write = { kind: "append"; rows: readonly StoredRow[] } | { kind: "update"; row: StoredRow } | { kind: "delete"; id: string };
type Pending = Write & { resolve: () => void; reject: (error: unknown) => void };
/** What one segment attempt writes, and the queued writes it answers with an error instead. */
interface Plan {
  ops: Op[];
  rejected: Map<Pending, Error>;
}

/** A segment or base vanished while being read: a compaction finished and its grace period ran out. */
class ObjectGone extends Error {}

/** What {@link TableLog.compact} did. */
export interface CompactionResult {
  /** False when there was nothing to fold or another compactor won. */
  compacted: boolean;
  /** Segments folded into the new base. */
  segments: number;
  /** Rows in the new base. */
  rows: number;
  /** Superseded objects deleted (those whose grace period was over). */
  deletedObjects: number;
}

/**
 * One table's log on S3: immutable numbered segments (each created with If-None-Match: *,
 * so two writers can never both write segment N) plus a compacted base named by a small
 * manifest that only changes with If-Match. Reads fold base + segments; writes queued in
 * this process while a segment is in flight go out together in the next one.
 */
export class TableLog {
  readonly #store: ObjectStore;
  readonly #paths: TablePaths;
  readonly #label: string;
  readonly #options: TableLogOptions;
  #manifest: ManifestVersion | undefined;
  /** Highest segment number known to exist (a hint; conflicts correct it). */
  #tail: number | undefined;
  /** performance.now() when the request that taught us `#tail` was sent. */
  #tailSeenAt = -Infinity;
  #folded: FoldedRows | undefined;
  #queue: Pending[] = [];
  #flushing = false;
  #lock: Promise<unknown> = Promise.resolve();
  #compaction: Promise<unknown> | undefined;

  constructor(store: ObjectStore, paths: TablePaths, label: string, options: TableLogOptions) {
    this.#store = store;
    this.#paths = paths;
    this.#label = label;
    this.#options = options;
  }

  /** Run `fn` after every earlier locked call (reads and commits change the folded rows). */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  #where(key: string): string {
    return `${this.#label} (s3://${this.#store.bucket}/${key})`;
  }

  /** The current manifest (a conditional GET: unchanged manifests cost a 304). NotFoundError when the table is gone. */
  async readManifest(): Promise<ManifestVersion> {
    const cached = this.#manifest;
    const got = await this.#store.getText(this.#paths.manifest, cached?.etag);
    if (got === "unchanged") return cached!;
    if (got === undefined) {
      this.#manifest = undefined;
      this.#folded = undefined;
      this.#tail = undefined;
      this.#tailSeenAt = -Infinity;
      throw new NotFoundError(`${this.#label} does not exist`, { backend: BACKEND_NAME });
    }
    const version = { value: parseManifest(got.body, this.#where(this.#paths.manifest)), etag: got.etag };
    if (this.#manifest && this.#manifest.value.tableId !== version.value.tableId) {
      this.#folded = undefined; // the table was deleted and created again
      this.#tail = undefined;
      this.#tailSeenAt = -Infinity;
    }
    this.#manifest = version;
    return version;
  }

  /** Segments after `afterSeq`, in order (paginated listing). */
  async #segmentsAfter(tableId: string, afterSeq: number): Promise<{ seq: number; key: string }[]> {
    const out: { seq: number; key: string }[] = [];
    for await (const page of this.#store.list(this.#paths.segments(tableId), this.#paths.segment(tableId, afterSeq))) {
      for (const { key } of page) {
        const seq = parseSegmentSeq(key);
        if (seq !== undefined && seq > afterSeq) out.push({ seq, key });
      }
    }
    return out;
  }

  async #readSegment(key: string): Promise<{ ops: Op[]; writeId: string; blob?: string }> {
    const got = await this.#store.getText(key);
    if (got === undefined || got === "unchanged") throw new ObjectGone(key);
    const { header, ops } = decodeSegment(got.body, this.#where(key));
    if (header.blob === undefined) return { ops, writeId: header.writeId };
    const blob = await this.#store.getText(header.blob);
    if (blob === undefined || blob === "unchanged") throw new ObjectGone(header.blob);
    return { ops: decodeBlob(blob.body, this.#where(header.blob)), writeId: header.writeId, blob: header.blob };
  }

  /** Segment ops in order, fetched with bounded parallelism. */
  #readSegments(segments: readonly { seq: number; key: string }[]): AsyncGenerator<{ seq: number; ops: Op[]; writeId: string; blob?: string }> {
    return mapOrdered(segments, this.#store.concurrency, async (s) => ({ seq: s.seq, ...(await this.#readSegment(s.key)) }));
  }

  /** Base rows in order, streamed in batches of lines. */
  async *#readBase(manifest: Manifest): AsyncGenerator<string[]> {
    if (!manifest.base) return;
    const { key, rows } = manifest.base;
    const batches = await this.#store.getLines(key);
    if (!batches) throw new ObjectGone(key);
    let n = -1;
    for await (const lines of batches) {
      if (n === -1 && lines.length > 0) {
        decodeBaseHeader(lines[0]!, this.#where(key));
        n = 0;
        if (lines.length > 1) yield lines.slice(1);
        n += lines.length - 1;
      } else {
        yield lines;
        n += lines.length;
      }
    }
    if (n !== rows) throw new CorruptDataError(`${this.#where(key)}: the manifest announces ${rows} rows, the base holds ${Math.max(n, 0)} (torn object)`, { backend: BACKEND_NAME });
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
          throw new ConflictError(`${this.#label}: compactions keep deleting what this read needs (raise gracePeriodMs)`, { backend: BACKEND_NAME, cause: error });
        }
      }
    }
  }

  /**
   * Bring the folded rows up to the newest segment: only what changed since the last call is
   * fetched (also across a compaction, as long as the segments it folded are certainly still
   * there; else the new base is read). `onSegment` sees the writeId of every segment folded
   * in. Call under the lock.
   */
  async #refresh(onSegment?: (seq: number, writeId: string) => void): Promise<FoldedRows> {
    return this.#retryGone(async () => {
      const { value: m } = await this.readManifest();
      let folded = this.#folded;
      if (folded && (folded.tableId !== m.tableId || (folded.lastSeq < m.upTo && performance.now() - folded.seenAt >= this.#options.gracePeriodMs / 2))) folded = undefined;
      const listedAt = performance.now();
      const listed = folded !== undefined;
      let segments = folded ? await this.#segmentsAfter(m.tableId, folded.lastSeq) : [];
      // Catching up through compacted segments needs every one of them (seq lastSeq+1..upTo).
      if (folded && folded.lastSeq < m.upTo && segments.filter((s) => s.seq <= m.upTo).length !== m.upTo - folded.lastSeq) folded = undefined;
      if (!folded) {
        const rows: RowLines = new Map();
        const where = this.#where(m.base?.key ?? "");
        for await (const lines of this.#readBase(m)) for (const line of lines) rows.set(rowIdOf(line, where), line);
        folded = { tableId: m.tableId, lastSeq: m.upTo, rows, seenAt: -Infinity };
        this.#folded = folded;
        segments = listed ? segments.filter((s) => s.seq > m.upTo) : await this.#segmentsAfter(m.tableId, m.upTo);
      }
      for await (const { seq, ops, writeId } of this.#readSegments(segments)) {
        applyOps(folded.rows, ops);
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

  /** Every row, in table order. */
  async load(): Promise<StoredRow[]> {
    const folded = await this.#exclusive(() => this.#refresh());
    const where = this.#label;
    const out: StoredRow[] = new Array(folded.rows.size);
    let i = 0;
    for (const line of folded.rows.values()) out[i++] = parseRow(line, where);
    return out;
  }

  /** One row, or undefined. */
  async get(id: string): Promise<StoredRow | undefined> {
    const line = await this.#exclusive(async () => (await this.#refresh()).rows.get(id));
    return line === undefined ? undefined : parseRow(line, this.#label);
  }

  /**
   * Every row in table order, streamed: the uncompacted segments are held in memory, the
   * base (usually nearly all rows) is read line by line.
   */
  entries(): AsyncIterableIterator<StoredRow> {
    const label = this.#label;
    const open = async (): Promise<AsyncIterator<string[]>> => {
      const snapshot = await this.#retryGone(async () => {
        const manifest = await this.readManifest();
        const ops: Op[] = [];
        for await (const s of this.#readSegments(await this.#segmentsAfter(manifest.value.tableId, manifest.value.upTo))) ops.push(...s.ops);
        return { manifest: manifest.value, ops };
      });
      return this.#foldStream(snapshot.manifest, snapshot.ops);
    };
    // A hand-written iterator over batches of lines: rows already fetched are handed out
    // without the extra awaits an async generator spends on every yield.
    let batches: AsyncIterator<string[]> | undefined;
    let buffer: string[] = [];
    let index = 0;
    let finished = false;
    const refill = async (): Promise<IteratorResult<StoredRow>> => {
      try {
        batches ??= await open();
        for (;;) {
          const next = await batches.next();
          if (next.done) {
            finished = true;
            return { value: undefined, done: true };
          }
          if (next.value.length > 0) {
            buffer = next.value;
            index = 1;
            return { value: parseRow(buffer[0]!, label), done: false };
          }
        }
      } catch (error) {
        finished = true;
        if (error instanceof ObjectGone) {
          throw new ConflictError(`${label}: a compaction deleted the base this stream was reading (it outlived gracePeriodMs); read again`, { backend: BACKEND_NAME, cause: error });
        }
        throw error;
      }
    };
    return {
      next(): Promise<IteratorResult<StoredRow>> {
        if (index < buffer.length) {
          try {
            return Promise.resolve({ value: parseRow(buffer[index++]!, label), done: false });
          } catch (error) {
            return Promise.reject(error);
          }
        }
        if (finished) return Promise.resolve({ value: undefined, done: true });
        return refill();
      },
      async return(): Promise<IteratorResult<StoredRow>> {
        finished = true;
        buffer = [];
        await batches?.return?.(undefined);
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** Base + tail folded, as batches of row lines in table order, holding only the tail in memory. */
  async *#foldStream(manifest: Manifest, tailOps: readonly Op[]): AsyncGenerator<string[]> {
    const tail = new TailFold(tailOps);
    const moved: { order: number; line: string }[] = [];
    const inBase = new Set<string>();
    const where = this.#where(manifest.base?.key ?? "");
    for await (const lines of this.#readBase(manifest)) {
      if (tailOps.length === 0) {
        yield lines;
        continue;
      }
      const out: string[] = [];
      for (const line of lines) {
        const id = rowIdOf(line, where);
        if (!tail.touches(id)) {
          out.push(line);
          continue;
        }
        inBase.add(id);
        const outcome = tail.outcome(id, line);
        if (outcome.at === "base") out.push(outcome.line);
        else if (outcome.at === "tail") moved.push(outcome);
      }
      if (out.length > 0) yield out;
    }
    for (const id of tail.ids()) {
      if (inBase.has(id)) continue;
      const outcome = tail.outcome(id, undefined);
      if (outcome.at === "tail") moved.push(outcome);
    }
    moved.sort((a, b) => a.order - b.order);
    if (moved.length > 0) yield moved.map((m) => m.line);
  }

  // ---- writes -------------------------------------------------------------------------

  /** Append rows as one batch (one segment, shared with writes queued at the same time). */
  append(rows: readonly StoredRow[]): Promise<void> {
    return this.#submit({ kind: "append", rows });
  }
  /** Replace a row in place. NotFoundError when no row has its id. */
  update(row: StoredRow): Promise<void> {
    return this.#submit({ kind: "update", row });
  }
  /** Remove a row. NotFoundError when no row has that id. */
  delete(id: string): Promise<void> {
    return this.#submit({ kind: "delete", id });
  }

  #submit(write: Write): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ ...write, resolve, reject });
      if (!this.#flushing) void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0);
        try {
          await this.#exclusive(() => this.#commit(batch));
        } catch (error) {
          for (const p of batch) p.reject(error);
        }
      }
    } finally {
      this.#flushing = false;
    }
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
  async #checkAbove(key: string, tableId: string, seq: number): Promise<Manifest | undefined> {
    if (performance.now() - this.#tailSeenAt < this.#options.gracePeriodMs / 2) return undefined;
    let m: Manifest;
    try {
      m = (await this.readManifest()).value;
    } catch (error) {
      // Table deleted: the segment belongs to nothing. Any other failure leaves the outcome
      // unknown, as a lost PUT response would (a retry with the same row ids is safe).
      if (hasErrorCode(error, "ERR_THEMIS_NOT_FOUND")) await this.#store.delete(key).catch(() => undefined);
      throw error;
    }
    if (m.tableId !== tableId) {
      await this.#store.delete(key);
      throw new NotFoundError(`${this.#label} was deleted while writing to it`, { backend: BACKEND_NAME });
    }
    return m;
  }

  /**
   * Decide which queued writes apply to rows as folded up to the segment before ours:
   * an append with an id that exists (or twice in it) is answered AlreadyExistsError, and
   * none of its rows is written; updates and deletes of ids that do not exist are answered
   * NotFoundError.
   */
  #plan(batch: readonly Pending[], rows: RowLines): Plan {
    const ops: Op[] = [];
    const rejected = new Map<Pending, Error>();
    const overlay = new Map<string, boolean>();
    const exists = (id: string): boolean => overlay.get(id) ?? rows.has(id);
    for (const p of batch) {
      if (p.kind === "append") {
        const mine = new Set<string>();
        const taken = p.rows.find((row) => {
          if (exists(row._row_id) || mine.has(row._row_id)) return true;
          mine.add(row._row_id);
          return false;
        });
        if (taken) {
          rejected.set(p, new AlreadyExistsError(`${this.#label} already has a row with _row_id "${taken._row_id}"; nothing of the batch was stored`, { backend: BACKEND_NAME }));
          continue;
        }
        for (const row of p.rows) {
          ops.push({ type: "append", id: row._row_id, line: rowLine(row) });
          overlay.set(row._row_id, true);
        }
      } else {
        const id = p.kind === "update" ? p.row._row_id : p.id;
        if (!exists(id)) {
          rejected.set(p, new NotFoundError(`${this.#label} has no row with _row_id "${id}"`, { backend: BACKEND_NAME }));
        } else if (p.kind === "update") {
          ops.push({ type: "update", id, line: rowLine(p.row) });
        } else {
          ops.push({ type: "delete", id });
          overlay.set(id, false);
        }
      }
    }
    return { ops, rejected };
  }

  /**
   * Write one segment holding `batch`: claim the next number with If-None-Match: *, and on
   * a conflict fold in the segments other writers added (the rows the plan is checked
   * against) and try the next number, with jittered backoff, up to maxConflictRetries
   * times. The rows are those folded up to the segment before ours, so a segment that is
   * created was checked against everything before it: two writers appending one id, one
   * wins and the other, folding the winner's segment, answers ALREADY_EXISTS. A segment of
   * this very write found while folding (its writeId: a PUT that landed though it looked
   * lost) answers the write as done.
   */
  async #commit(batch: readonly Pending[]): Promise<void> {
    const writeId = randomUUID();
    let blobKey: string | undefined;
    let blobOps: Op[] | undefined;
    let blobCount = 0;
    // Whether a segment of ours may point at the blob (a PUT whose outcome is unknown).
    let blobMayBeReferenced = false;
    /** The plans of the segments this write tried to create, by number. */
    const tried = new Map<number, Plan>();
    let landed: number | undefined;
    let tableId: string;
    let seq: number;
    let rows: RowLines;
    const position = async (): Promise<void> => {
      const folded = await this.#refresh((s, id) => {
        if (id === writeId && tried.has(s)) landed = s;
      });
      ({ tableId, rows } = folded);
      seq = folded.lastSeq + 1;
    };
    const settle = (plan: Plan): void => {
      for (const p of batch) {
        const why = plan.rejected.get(p);
        if (why) p.reject(why);
        else p.resolve();
      }
    };
    // Rows folded up to the tail this writer knows: no request before the PUT.
    const known = this.#folded;
    if (known && this.#manifest && known.tableId === this.#manifest.value.tableId && known.lastSeq === this.#tail) {
      tableId = known.tableId;
      rows = known.rows;
      seq = known.lastSeq + 1;
    } else await position();
    try {
      for (let attempt = 0; ; attempt++) {
        const plan = this.#plan(batch, rows!);
        const { ops } = plan;
        if (ops.length === 0) {
          settle(plan);
          return;
        }
        let body = encodeSegment(writeId, ops);
        const pointsAtBlob = Buffer.byteLength(body) > this.#store.partSizeBytes;
        if (pointsAtBlob) {
          // Too big for one PUT to be cheap to retry: upload the ops once (multipart), point at
          // them; again only when the plan changed (writes refused after a conflict).
          if (blobKey === undefined || !blobKey.startsWith(this.#paths.data(tableId!)) || !sameOps(blobOps!, ops)) {
            if (blobKey && !blobMayBeReferenced) await this.#store.delete(blobKey).catch(() => undefined);
            blobKey = this.#paths.blob(tableId!, blobCount++ === 0 ? writeId : `${writeId}-${blobCount}`);
            blobOps = ops;
            blobMayBeReferenced = false;
            await this.#store.upload(blobKey, chunked(body));
          }
          body = encodePointerSegment(writeId, blobKey);
        }
        const key = this.#paths.segment(tableId!, seq!);
        const sentAt = performance.now();
        if (pointsAtBlob) blobMayBeReferenced = true;
        tried.set(seq!, plan); // kept when the key was taken: the taker may be this write (a lost answer)
        const created = await this.#store.putIfAbsent(key, body, writeId);
        if (pointsAtBlob) blobMayBeReferenced = created;
        if (created) {
          const m = await this.#checkAbove(key, tableId!, seq!);
          if (m === undefined || m.upTo < seq!) {
            if (seq! > (this.#tail ?? 0)) {
              this.#tail = seq!;
              this.#tailSeenAt = sentAt;
            }
            const folded = this.#folded;
            if (folded && folded.tableId === tableId! && folded.lastSeq === seq! - 1) {
              applyOps(folded.rows, ops);
              folded.lastSeq = seq!;
              folded.seenAt = sentAt;
            }
            settle(plan);
            this.#maybeCompact(seq!, m ?? this.#manifest?.value);
            return;
          }
          // Our number had already been compacted and its object deleted (this writer's tail
          // was stale): nobody reads below upTo, so take ours back and write above it.
          await this.#store.delete(key);
          tried.delete(seq!);
          if (pointsAtBlob) blobMayBeReferenced = false;
        }
        if (attempt >= this.#options.maxConflictRetries) {
          throw new ConflictError(
            `${this.#label}: other writers kept taking the next segment number (${attempt + 1} attempts, precondition failed each time); retry later or raise maxConflictRetries`,
            { backend: BACKEND_NAME },
          );
        }
        await sleep(backoffMs(attempt));
        await position();
        if (landed !== undefined) {
          // A PUT answered as lost had created our segment after all: it is in the rows now.
          settle(tried.get(landed)!);
          this.#maybeCompact(landed, this.#manifest?.value);
          return;
        }
      }
    } catch (error) {
      // A blob no segment points at goes; one a segment may point at (a PUT that failed
      // without an answer) stays: compaction removes it if it turns out to be an orphan.
      if (blobKey && !blobMayBeReferenced) await this.#store.delete(blobKey).catch(() => undefined);
      throw error;
    }
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

  /** Wait for queued writes and a background compaction, if any. */
  async idle(): Promise<void> {
    while (this.#flushing || this.#compaction) {
      await Promise.all([this.#lock, this.#compaction]);
      if (this.#flushing) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Fold the base and every segment after it into a new base (streamed, multipart when
   * large), then switch the manifest to it with If-Match. Objects superseded by earlier
   * compactions whose grace period is over are deleted. Safe to run from any number of
   * processes at once, next to writers and readers: a compactor that loses the If-Match
   * race removes its base and reports `compacted: false`.
   */
  async compact(): Promise<CompactionResult> {
    const started = await this.#retryGone(async () => {
      const manifest = await this.readManifest();
      const segments = await this.#segmentsAfter(manifest.value.tableId, manifest.value.upTo);
      const ops: Op[] = [];
      const blobs: string[] = [];
      for await (const s of this.#readSegments(segments)) {
        ops.push(...s.ops);
        if (s.blob) blobs.push(s.blob);
      }
      return { manifest, segments, ops, blobs };
    });
    const { manifest, segments, ops, blobs } = started;
    const m = manifest.value;
    const now = Date.now();
    const expired = m.retired.filter((r) => now - r.at >= this.#options.gracePeriodMs);
    if (segments.length === 0 && expired.length === 0) return { compacted: false, segments: 0, rows: m.base?.rows ?? 0, deletedObjects: 0 };

    let next: Manifest;
    let newBase: string | undefined;
    let rows = m.base?.rows ?? 0;
    if (segments.length > 0) {
      const generation = m.generation + 1;
      newBase = this.#paths.base(m.tableId, generation, randomBytes(4).toString("hex"));
      rows = 0;
      const lines = this.#foldStream(m, ops);
      const label = this.#label;
      await this.#store.upload(
        newBase,
        (async function* body() {
          yield encodeBaseHeader();
          let chunk: string[] = [];
          let size = 0;
          for await (const batch of guardGone(lines, label)) {
            rows += batch.length;
            for (const line of batch) {
              chunk.push(line);
              size += line.length + 1;
            }
            if (size >= 1 << 20) {
              yield `${chunk.join("\n")}\n`;
              chunk = [];
              size = 0;
            }
          }
          if (chunk.length > 0) yield `${chunk.join("\n")}\n`;
        })(),
      );
      next = {
        ...m,
        generation,
        base: { key: newBase, rows },
        upTo: segments.at(-1)!.seq,
        retired: this.#retire(
          m.retired.filter((r) => !expired.includes(r)),
          { since: now, at: now, segmentsUpTo: segments.at(-1)!.seq, generationsUpTo: m.generation, blobs },
        ),
      };
    } else {
      next = { ...m, retired: m.retired.filter((r) => !expired.includes(r)) };
    }
    // Expired objects are unreferenced by this manifest and any later one: safe to delete
    // before the switch, and again by whoever wins if this compactor loses.
    const keep = new Set([m.base?.key, newBase].filter((k): k is string => k !== undefined));
    const deletedObjects = await this.#deleteRetired(m, expired, keep, new Set([...blobs, ...m.retired.flatMap((r) => r.blobs)]), now);
    const etag = await this.#store.putIfMatch(this.#paths.manifest, JSON.stringify(next), manifest.etag);
    if (etag === undefined) {
      if (newBase) await this.#store.delete(newBase);
      return { compacted: false, segments: 0, rows: 0, deletedObjects };
    }
    this.#manifest = { value: next, etag };
    return { compacted: segments.length > 0, segments: segments.length, rows, deletedObjects };
  }

  /** Add a retirement, merged into the last entry when that one started recently (bounds the manifest's size). */
  #retire(retired: RetiredObjects[], entry: RetiredObjects): RetiredObjects[] {
    const last = retired.at(-1);
    if (!last || entry.at - last.since >= this.#options.gracePeriodMs / 16) return [...retired, entry];
    return [
      ...retired.slice(0, -1),
      {
        since: last.since,
        at: entry.at,
        segmentsUpTo: Math.max(last.segmentsUpTo, entry.segmentsUpTo),
        generationsUpTo: Math.max(last.generationsUpTo, entry.generationsUpTo),
        blobs: [...last.blobs, ...entry.blobs],
      },
    ];
  }

  /**
   * Delete what expired retirements cover: old segments, old bases (also those of
   * compactors that lost or died), folded blobs; and blobs no segment points at that are
   * older than max(gracePeriodMs, 6 h) (a writer died between uploading one and its segment).
   */
  async #deleteRetired(m: Manifest, expired: readonly RetiredObjects[], keep: ReadonlySet<string>, liveBlobs: ReadonlySet<string>, now: number): Promise<number> {
    const keys = expired.flatMap((r) => r.blobs);
    const segmentsUpTo = Math.max(0, ...expired.map((r) => r.segmentsUpTo));
    const generationsUpTo = Math.max(0, ...expired.map((r) => r.generationsUpTo));
    if (segmentsUpTo > 0) {
      for await (const page of this.#store.list(this.#paths.segments(m.tableId))) {
        const old = page.filter((o) => (parseSegmentSeq(o.key) ?? Infinity) <= segmentsUpTo).map((o) => o.key);
        keys.push(...old);
        if (old.length < page.length) break;
      }
    }
    if (generationsUpTo > 0) {
      for await (const page of this.#store.list(this.#paths.bases(m.tableId))) {
        keys.push(...page.filter((o) => !keep.has(o.key) && (parseBaseGeneration(o.key) ?? Infinity) <= generationsUpTo).map((o) => o.key));
      }
    }
    const orphanAge = Math.max(this.#options.gracePeriodMs, 6 * 3_600_000);
    for await (const page of this.#store.list(this.#paths.blobs(m.tableId))) {
      keys.push(...page.filter((o) => !liveBlobs.has(o.key) && o.lastModified !== undefined && now - o.lastModified.getTime() >= orphanAge).map((o) => o.key));
    }
    const unique = [...new Set(keys)];
    await this.#store.deleteMany(unique);
    return unique.length;
  }

  /** Forget cached state (the table was deleted). */
  reset(): void {
    this.#manifest = undefined;
    this.#folded = undefined;
    this.#tail = undefined;
    this.#tailSeenAt = -Infinity;
  }
}

/** The old base vanished under a compaction (another one finished and its grace ran out): a typed error. */
async function* guardGone<T>(source: AsyncIterable<T>, label: string): AsyncGenerator<T> {
  try {
    yield* source;
  } catch (error) {
    if (error instanceof ObjectGone) throw new ConflictError(`${label}: another compaction deleted the base this one was reading; retry`, { backend: BACKEND_NAME, cause: error });
    throw error;
  }
}

/** Whether two plans write the same ops (a blob uploaded for one serves the other). */
function sameOps(a: readonly Op[], b: readonly Op[]): boolean {
  return a.length === b.length && a.every((op, i) => op.type === b[i]!.type && op.id === b[i]!.id);
}

/** Backoff before retry `attempt` (0-based) after a lost race: up to 10 ms, 20 ms, 40 ms ... 1 s. */
function backoffMs(attempt: number): number {
  return backoffDelay({ minDelayMs: 10, maxDelayMs: 1000 }, attempt + 1);
}

/** A large body in 1 MiB byte slices (slicing bytes, not UTF-16 units, keeps characters whole). */
async function* chunked(text: string): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text, "utf8");
  const size = 1 << 20;
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}
