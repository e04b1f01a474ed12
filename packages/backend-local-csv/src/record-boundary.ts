import type { FileHandle } from "node:fs/promises";

/** Where the complete records of a byte range end. */
export interface RecordBoundary {
  /** Offset just after the last record terminator in the range (`from` when there is none). */
  boundary: number;
  /** Newlines in `[from, boundary)` (quoted ones included: they are lines of the file). */
  lines: number;
  /** The first record terminator of the range is `\r\n`. */
  crlf: boolean;
}

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const CHUNK = 1 << 20;

/**
 * Finds the end of the last complete CSV record in a byte range fed to it in order,
 * starting at the start of a record. A `\n` ends a record only outside quotes, and in
 * RFC 4180 CSV (quotes inside quoted cells are doubled) that is exactly when an even
 * number of `"` precede it since the start of a record: a byte scan, no parsing.
 * Whatever follows the boundary is a torn record (a write cut short).
 */
export class RecordBoundaryScanner {
  #inQuotes = false;
  #lines = 0;
  #previous = -1;
  #position: number;
  #result: RecordBoundary;

  constructor(from: number) {
    this.#position = from;
    this.#result = { boundary: from, lines: 0, crlf: false };
  }

  #crlfSeen = false;

  /** Scan the next bytes of the range. */
  feed(bytes: Uint8Array): void {
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!;
      if (byte === QUOTE) this.#inQuotes = !this.#inQuotes;
      else if (byte === LF) {
        this.#lines++;
        if (!this.#inQuotes) {
          if (!this.#crlfSeen) {
            this.#crlfSeen = true;
            this.#result.crlf = (i > 0 ? bytes[i - 1] : this.#previous) === CR;
          }
          this.#result.boundary = this.#position + i + 1;
          this.#result.lines = this.#lines;
        }
      }
    }
    if (bytes.length > 0) this.#previous = bytes[bytes.length - 1]!;
    this.#position += bytes.length;
  }

  get result(): RecordBoundary {
    return { ...this.#result };
  }
}

/** {@link RecordBoundaryScanner} over `[from, to)` of a file, read in 1 MiB chunks. */
export async function findRecordBoundary(handle: FileHandle, from: number, to: number): Promise<RecordBoundary> {
  const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(1, to - from)));
  const scanner = new RecordBoundaryScanner(from);
  for (let position = from; position < to; ) {
    const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, to - position), position);
    if (bytesRead === 0) break;
    scanner.feed(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  return scanner.result;
}

/** Number of `\n` in a string. */
export function countNewlines(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) n++;
  return n;
}
