import type { FileHandle } from "node:fs/promises";
import { parseCsvStream } from "@themis/csv-codec";
import { BACKEND_NAME } from "./names.js";
import { readRange } from "./read-range.js";

// Read chunk size: under V8's large-object threshold, as for every streamed read of a table.
const CHUNK_BYTES = 64 * 1024;

/**
 * How many times each of `candidates` appears as a `_row_id` in `[0, size)` of the table
 * file: the exact answer behind an {@link IdSet} "maybe". One streamed read (memory flat,
 * time O(table)); fingerprints collide rarely enough (rows / 2^48 per lookup, ~4e-8 at 10M rows) that appends
 * almost never pay it.
 */
export async function countIds(handle: FileHandle, size: number, path: string, candidates: ReadonlySet<string>): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  if (size === 0 || candidates.size === 0) return counts;
  // Read with `handle.read`, which leaves the writer's handle open and adds no listener to it.
  const stream = readRange(handle, 0, size, CHUNK_BYTES);
  for await (const row of parseCsvStream(stream, { source: path, backend: BACKEND_NAME })) {
    if (candidates.has(row._row_id)) counts.set(row._row_id, (counts.get(row._row_id) ?? 0) + 1);
  }
  return counts;
}
