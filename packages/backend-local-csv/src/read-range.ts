// Streamed reads of a byte range of a file handle the writer keeps open.
import type { FileHandle } from "node:fs/promises";
import { STREAM_CHUNK_BYTES } from "./writer-state.js";

/**
 * The bytes `[start, end)` of `handle`, in chunks of `chunkBytes` (each its own buffer).
 *
 * Not `handle.createReadStream()`: every such stream adds a `close` listener to the handle
 * that is never removed (Node keeps it, and the stream with it, until the handle closes),
 * so a writer that reads its long-lived handle on each catch-up or id check would leak a
 * stream per read and warn past 10 (MaxListenersExceededWarning).
 */
export async function* readRange(handle: FileHandle, start: number, end: number, chunkBytes = STREAM_CHUNK_BYTES): AsyncGenerator<Buffer> {
  let position = start;
  while (position < end) {
    const buffer = Buffer.allocUnsafe(Math.min(chunkBytes, end - position));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    // The file is shorter than the range: a reader finds the torn or missing tail itself.
    if (bytesRead === 0) return;
    position += bytesRead;
    yield bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
  }
}
