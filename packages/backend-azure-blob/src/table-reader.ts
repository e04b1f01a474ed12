import { CorruptDataError, NotFoundError, type StoredRow } from "@themis/core";
import type { BlobStore } from "./blob-store.js";
import { BACKEND_NAME } from "./config.js";
import { parseSegmentSeq } from "./layout.js";
import { orderedMap } from "./ordered.js";
import { type Segment, parseSegment } from "./segment-format.js";

/** Below this many bytes of segments, the first pass keeps them for the second. */
const KEEP_BYTES = 16 * 1024 * 1024;

/** A segment's name and size, as listed. */
export interface SegmentRef {
  name: string;
  size: number;
  seq: number;
}

/**
 * The segments under `prefix`, in order; they must be numbered 1..n (writers never leave a
 * gap). `listed` is a listing of `prefix` or of a prefix of it, made by the caller (so that
 * it can run beside the manifest read).
 */
export async function listSegments(
  store: BlobStore,
  prefix: string,
  listed: AsyncIterable<{ name: string; size: number }> | Iterable<{ name: string; size: number }> = store.list(prefix),
): Promise<SegmentRef[]> {
  const out: SegmentRef[] = [];
  for await (const { name, size } of listed) {
    const seq = parseSegmentSeq(name);
    if (seq === undefined || !name.startsWith(prefix) || name.slice(prefix.length).includes("/")) continue;
    if (seq !== out.length + 1) throw new CorruptDataError(`segment "${name}" follows segment ${out.length}: a segment is missing`, { backend: BACKEND_NAME });
    out.push({ name, size, seq });
  }
  return out;
}

/** Download and parse one segment; a segment gone meanwhile means the table was deleted. */
export async function readSegment(store: BlobStore, name: string, table: string): Promise<Segment> {
  const text = await store.getText(name);
  if (text === undefined) throw new NotFoundError(`table "${table}" was deleted while it was read`, { backend: BACKEND_NAME });
  return parseSegment(text, name);
}

/**
 * Every row of the table in append order, streamed in two passes over the segments: the
 * first keeps only updates and deletes (by id), the second yields the appended rows with
 * them applied. Memory: the updates and deletes, plus `concurrency` segments in flight
 * (all segments, when they total less than 16 MB, to save the second download).
 */
export async function* readRows(store: BlobStore, segments: readonly SegmentRef[], concurrency: number, table: string): AsyncGenerator<StoredRow> {
  const keep = segments.reduce((n, s) => n + s.size, 0) <= KEEP_BYTES;
  const kept: Segment[] = [];
  const updates = new Map<string, StoredRow>();
  // An id can be appended again after a delete: count deletes, each removes the oldest incarnation.
  const deletes = new Map<string, number>();
  const fetch = (s: SegmentRef) => readSegment(store, s.name, table);
  for await (const segment of orderedMap(segments, concurrency, fetch)) {
    if (keep) kept.push(segment);
    for (const o of segment.ops) {
      if (o.op === "u") updates.set(o.row._row_id, o.row);
      else if (o.op === "d") {
        updates.delete(o.id);
        deletes.set(o.id, (deletes.get(o.id) ?? 0) + 1);
      }
    }
  }
  const second = keep ? kept : orderedMap(segments, concurrency, fetch);
  for await (const segment of second) {
    for (const o of segment.ops) {
      if (o.op !== "a") continue;
      const id = o.row._row_id;
      const pending = deletes.get(id) ?? 0;
      if (pending > 0) {
        deletes.set(id, pending - 1);
        continue;
      }
      yield updates.get(id) ?? o.row;
    }
  }
}
