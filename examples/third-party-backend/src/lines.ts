import type { FileHandle } from "node:fs/promises";

/** One line of a JSON Lines file. */
export interface Line {
  /** 1-based line number, for error messages. */
  readonly number: number;
  readonly text: string;
  /** False for a last line with no newline after it: an append may have been cut short. */
  readonly terminated: boolean;
  /** Byte offset just past the line (and its newline, when terminated). */
  readonly end: number;
}

const NEWLINE = 0x0a;
const CHUNK_BYTES = 64 * 1024;

/**
 * The lines of the file behind `handle`, from byte `start` (0, or just after a newline) up to
 * `end` (exclusive), read in chunks so a table larger than memory can be streamed. Splitting
 * on the newline byte is safe: in UTF-8, 0x0A never occurs inside a multi-byte character,
 * and JSON.stringify escapes every newline inside strings. Line numbers count from `start`.
 */
export async function* readLines(handle: FileHandle, end: number, start = 0): AsyncGenerator<Line> {
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let pending: Buffer[] = [];
  let number = 0;
  let position = start;
  while (position < end) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(CHUNK_BYTES, end - position), position);
    if (bytesRead === 0) break; // The file shrank under us: what was read is all there is.
    position += bytesRead;
    let chunk = buffer.subarray(0, bytesRead);
    let chunkStart = position - bytesRead;
    for (let at = chunk.indexOf(NEWLINE); at !== -1; at = chunk.indexOf(NEWLINE)) {
      const piece = chunk.subarray(0, at);
      const text = (pending.length > 0 ? Buffer.concat([...pending, piece]) : piece).toString("utf8");
      pending = [];
      chunkStart += at + 1;
      yield { number: ++number, text, terminated: true, end: chunkStart };
      chunk = chunk.subarray(at + 1);
    }
    // Copy: `buffer` is reused for the next chunk.
    if (chunk.length > 0) pending.push(Buffer.from(chunk));
  }
  if (pending.length > 0) yield { number: number + 1, text: Buffer.concat(pending).toString("utf8"), terminated: false, end: position };
}
