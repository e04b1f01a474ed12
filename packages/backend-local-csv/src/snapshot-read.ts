// Reading a table from a snapshot (an open handle and the size it had under the lock):
// parsing runs without the lock, and a rewrite that replaces the file meanwhile does not
// change what the snapshot reads.
import type { FileHandle } from "node:fs/promises";
import type { StoredRow } from "@themis/core";
import { parseCsv, parseCsvStream } from "@themis/csv-codec";
import { BACKEND_NAME } from "./names.js";
import { STREAM_CHUNK_BYTES } from "./writer-state.js";

/** An open handle on one version of the file, and its size then. Readers close the handle. */
export interface Snapshot {
  handle: FileHandle;
  size: number;
}

// Above this, a load parses from a stream instead of one string (V8 strings top out near 512 MiB).
const LOAD_AS_STRING_LIMIT = 256 * 1024 * 1024;

/** Every row in file order, parsed incrementally: memory stays flat. Closes the handle. */
export async function* streamSnapshot({ handle, size }: Snapshot, path: string): AsyncGenerator<StoredRow> {
  if (size === 0) {
    await handle.close();
    return;
  }
  const stream = handle.createReadStream({ start: 0, end: size - 1, autoClose: true, highWaterMark: STREAM_CHUNK_BYTES });
  try {
    yield* parseCsvStream(stream, { source: path, backend: BACKEND_NAME });
  } finally {
    stream.destroy();
  }
}

/** Every row in file order, parsed in one piece (streamed above the string limit). Closes the handle. */
export async function loadSnapshot(snapshot: Snapshot, path: string): Promise<StoredRow[]> {
  const { handle, size } = snapshot;
  if (size > LOAD_AS_STRING_LIMIT) {
    const rows: StoredRow[] = [];
    for await (const row of streamSnapshot(snapshot, path)) rows.push(row);
    return rows;
  }
  try {
    const buffer = Buffer.allocUnsafe(size);
    let read = 0;
    while (read < size) {
      const { bytesRead } = await handle.read(buffer, read, size - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return parseCsv(buffer.toString("utf8", 0, read), { source: path, backend: BACKEND_NAME }).rows;
  } finally {
    await handle.close();
  }
}
