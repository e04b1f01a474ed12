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
const COMMA = 0x2c;
const CHUNK = 1 << 20;

// Where the scanner is within a record, by papaparse's rules.
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;

/**
 * Finds the end of the last complete CSV record in a byte range fed to it in order,
 * starting at the start of a record: a byte scan, no parsing. It follows the rules of
 * the parser that reads the file (papaparse): a `"` opens a quoted cell only at the start
 * of a cell (in `5" screen` it is just a character), `""` inside a quoted cell is a quote,
 * and a `\n` ends a record only outside a quoted cell. Whatever follows the boundary is an
 * unterminated record (a write cut short, or a last line typed without a line ending).
 */
export class RecordBoundaryScanner {
  #state = FIELD_START;
  #lines = 0;
  #previous = -1;
  #position: number;
  #result: RecordBoundary;
  #crlfSeen = false;

  constructor(from: number) {
    this.#position = from;
    this.#result = { boundary: from, lines: 0, crlf: false };
  }

  /** Scan the next bytes of the range. */
  feed(bytes: Uint8Array): void {
    let state = this.#state;
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i]!;
      if (byte === LF) this.#lines++;
      switch (state) {
        case QUOTED:
          if (byte === QUOTE) state = QUOTE_IN_QUOTED;
          continue;
        case QUOTE_IN_QUOTED:
          // `""` is a quote; after a closing quote only a delimiter or a line ending is valid
          // (papaparse reports anything else and looks for the next quote: still quoted).
          if (byte === QUOTE || (byte !== COMMA && byte !== LF && byte !== CR)) {
            state = QUOTED;
            continue;
          }
          break;
        case FIELD_START:
          if (byte === QUOTE) {
            state = QUOTED;
            continue;
          }
          break;
      }
      if (byte === COMMA) state = FIELD_START;
      else if (byte === LF) {
        state = FIELD_START;
        if (!this.#crlfSeen) {
          this.#crlfSeen = true;
          this.#result.crlf = (i > 0 ? bytes[i - 1] : this.#previous) === CR;
        }
        this.#result.boundary = this.#position + i + 1;
        this.#result.lines = this.#lines;
      } else if (state !== QUOTE_IN_QUOTED || byte !== CR) state = UNQUOTED;
    }
    this.#state = state;
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
