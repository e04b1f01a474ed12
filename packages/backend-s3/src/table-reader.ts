import { CorruptDataError } from "@themis/core";
import { BACKEND_NAME } from "./config.js";
import { mapOrdered } from "./bounded.js";
import { TailMutations } from "./fold.js";
import { type TablePaths, parseSegmentSeq } from "./layout.js";
import type { Manifest } from "./manifest.js";
import type { ObjectStore } from "./object-store.js";
import { type Op, decodeBaseHeader, decodeBlob, decodeSegment, rowIdOf } from "./segment-format.js";

/** A segment of a table's log, by number. */
export interface SegmentRef {
  seq: number;
  key: string;
  /** Bytes of the segment object, from the listing (a pointer segment's blob is not counted). */
  size?: number;
}

/** A segment as read: its ops, the write that made it and the blob it pointed at, if any. */
export interface SegmentRead extends SegmentRef {
  ops: Op[];
  writeId: string;
  blob?: string;
}

/** A segment or base vanished while being read: a compaction finished and its grace period ran out. */
export class ObjectGone extends Error {}

/**
 * Ops of the tail a streamed fold keeps from its first pass for the second (an estimate of
 * their memory); beyond it the second pass reads the segments again.
 */
const KEEP_TAIL_BYTES = 16 << 20;

/**
 * Bytes of segments a read fetches ahead of the one it folds (besides the request count
 * `concurrency`): many small segments still go 16 at a time, while segments of big
 * batches (2 MB for 10,000 rows) go a few at a time, so a fold holds a few MB of them,
 * not 16 times their size.
 */
export const READ_AHEAD_BYTES = 8 << 20;

/** Reads one table's objects: segments, bases, and the two folded together as a stream. */
export class TableReader {
  readonly store: ObjectStore;
  readonly paths: TablePaths;
  readonly label: string;
  readonly #keepTailBytes: number;

  constructor(store: ObjectStore, paths: TablePaths, label: string, keepTailBytes = KEEP_TAIL_BYTES) {
    this.store = store;
    this.paths = paths;
    this.label = label;
    this.#keepTailBytes = keepTailBytes;
  }

  where(key: string): string {
    return `${this.label} (s3://${this.store.bucket}/${key})`;
  }

  /** Segments after `afterSeq`, in order (paginated listing). */
  async segmentsAfter(tableId: string, afterSeq: number): Promise<SegmentRef[]> {
    const out: SegmentRef[] = [];
    for await (const page of this.store.list(this.paths.segments(tableId), this.paths.segment(tableId, afterSeq))) {
      for (const { key, size } of page) {
        const seq = parseSegmentSeq(key);
        if (seq !== undefined && seq > afterSeq) out.push({ seq, key, size });
      }
    }
    return out;
  }

  async readSegment(ref: SegmentRef): Promise<SegmentRead> {
    const got = await this.store.getText(ref.key);
    if (got === undefined || got === "unchanged") throw new ObjectGone(ref.key);
    const { header, ops } = decodeSegment(got.body, this.where(ref.key));
    if (header.blob === undefined) return { ...ref, ops, writeId: header.writeId };
    const blob = await this.store.getText(header.blob);
    if (blob === undefined || blob === "unchanged") throw new ObjectGone(header.blob);
    return { ...ref, ops: decodeBlob(blob.body, this.where(header.blob)), writeId: header.writeId, blob: header.blob };
  }

  /** Segments in order, fetched with bounded parallelism (at most `concurrency`, and READ_AHEAD_BYTES, held at once). */
  readSegments(segments: readonly SegmentRef[]): AsyncGenerator<SegmentRead> {
    return mapOrdered(segments, { window: this.store.concurrency, budget: READ_AHEAD_BYTES, weight: (s) => s.size ?? 0 }, (s) => this.readSegment(s));
  }

  /** Base rows in order, streamed in batches of lines. */
  async *readBase(manifest: Manifest): AsyncGenerator<string[]> {
    if (!manifest.base) return;
    const { key, rows } = manifest.base;
    const batches = await this.store.getLines(key);
    if (!batches) throw new ObjectGone(key);
    let n = -1;
    for await (const lines of batches) {
      if (n === -1 && lines.length > 0) {
        decodeBaseHeader(lines[0]!, this.where(key));
        n = lines.length - 1;
        if (lines.length > 1) yield lines.slice(1);
      } else {
        yield lines;
        n += lines.length;
      }
    }
    if (n !== rows)
      throw new CorruptDataError(`${this.where(key)}: the manifest announces ${rows} rows, the base holds ${Math.max(n, 0)} (torn object)`, {
        backend: BACKEND_NAME,
      });
  }

  /**
   * Base + `segments` folded, as batches of row lines in table order, with bounded memory:
   * a first pass over the segments keeps only their updates and deletes (and, up to
   * KEEP_TAIL_BYTES, the ops, to spare the second pass their GETs); the second streams the
   * base, then the segments' appends. Cost: the segments are read twice when they are large.
   * `onSegment` sees each segment of the first pass.
   */
  async *fold(manifest: Manifest, segments: readonly SegmentRef[], onSegment?: (s: SegmentRead) => void): AsyncGenerator<string[]> {
    const mutations = new TailMutations();
    const kept: Op[][] = [];
    let budget = this.#keepTailBytes;
    let keeping = true; // the kept segments are the first ones, up to the budget
    let index = 0;
    for await (const s of this.readSegments(segments)) {
      for (const op of s.ops) mutations.record(index++, op);
      onSegment?.(s);
      const bytes = keeping ? opsBytes(s.ops) : Infinity;
      if (bytes <= budget) {
        kept.push(s.ops);
        budget -= bytes;
      } else keeping = false;
    }
    const exists = new Map<string, boolean>();
    const where = this.where(manifest.base?.key ?? "");
    for await (const lines of this.readBase(manifest)) {
      if (mutations.size === 0) {
        yield lines;
        continue;
      }
      const out: string[] = [];
      for (const line of lines) {
        const id = rowIdOf(line, where);
        if (!mutations.touches(id)) out.push(line);
        else {
          exists.set(id, true);
          const end = mutations.baseOutcome(id, line);
          if (end !== undefined) out.push(end);
        }
      }
      if (out.length > 0) yield out;
    }
    index = 0;
    const tail = (ops: readonly Op[]): string[] => {
      const out: string[] = [];
      for (const op of ops) {
        const at = index++;
        if (op.type === "delete") exists.set(op.id, false);
        else if (op.type === "append") {
          // An id the tail never updates or deletes is appended once (writers refuse duplicates).
          if (!mutations.touches(op.id)) out.push(op.line);
          else if (!exists.get(op.id)) {
            exists.set(op.id, true);
            const end = mutations.appendOutcome(op.id, at, op.line);
            if (end !== undefined) out.push(end);
          }
        }
      }
      return out;
    };
    for (let i = 0; i < kept.length; i++) {
      const out = tail(kept[i]!);
      kept[i] = [];
      if (out.length > 0) yield out;
    }
    for await (const s of this.readSegments(segments.slice(kept.length))) {
      const out = tail(s.ops);
      if (out.length > 0) yield out;
    }
  }
}

/** A rough size in memory of ops held as JS strings and objects. */
function opsBytes(ops: readonly Op[]): number {
  let n = 0;
  for (const op of ops) n += 2 * (op.id.length + (op.type === "delete" ? 0 : op.line.length)) + 96;
  return n;
}
