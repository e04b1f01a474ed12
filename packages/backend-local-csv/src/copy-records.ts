// The fast path of a rewrite that drops or replaces one row under an unchanged header: the
// other records are copied as bytes (a quote-aware scan for record starts and their ids),
// never parsed nor encoded again.
import type { IdSet } from "@themis/core/backend";

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;
/** Longer than any valid `_row_id` (200 characters) with its quotes. */
const MAX_ID_FIELD = 256;
const CR_BYTES = Buffer.from("\r");
const LF_BYTES = Buffer.from("\n");
const CRLF_BYTES = Buffer.from("\r\n");

// Where the scanner is within a record, by the rules of the parser that reads the file
// (see RecordBoundaryScanner).
const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;

/** What {@link RecordCopier} changes: the row with `id` is dropped, or replaced by `replacement` (encoded). */
export interface RecordEdit {
  id: string;
  replacement?: Buffer;
}

/**
 * Copies a table file's records, chunk by chunk in file order, dropping or replacing the
 * one whose first field (the `_row_id`) is `edit.id` and recording every kept id in `ids`.
 * The first record is the header, copied as it is. Memory: one chunk and at most one id
 * field carried over between chunks.
 */
export class RecordCopier {
  readonly #edit: RecordEdit;
  readonly #ids: IdSet;
  #state = FIELD_START;
  #atRecordStart = true;
  #header = true;
  #skipping = false;
  /** Bytes of a record start whose id field the previous chunk cut. */
  #carry: Buffer | undefined;
  /** The previous chunk ended with a `\r`, held back. */
  #heldCr = false;
  readonly #crlf: boolean;
  found = false;

  /** `newline` is the file's line ending: every record is written ending with it. */
  constructor(edit: RecordEdit, ids: IdSet, newline: "\n" | "\r\n") {
    this.#edit = edit;
    this.#ids = ids;
    this.#crlf = newline === "\r\n";
  }

  /** The next chunk of the file; returns the bytes to write for it (subarrays of it, and new line endings or the replacement). */
  feed(chunk: Buffer): Buffer[] {
    const buf = this.#carry ? Buffer.concat([this.#carry, chunk]) : chunk;
    this.#carry = undefined;
    const out: Buffer[] = [];
    // A `\r` that ended the previous chunk, not written yet: it may be half of a line ending.
    let lead = this.#heldCr;
    this.#heldCr = false;
    const emit = (from: number, to: number, extra?: Buffer): void => {
      if (lead) out.push(CR_BYTES);
      lead = false;
      if (to > from) out.push(buf.subarray(from, to));
      if (extra) out.push(extra);
    };
    let copyFrom = 0;
    let state = this.#state;
    for (let i = 0; i < buf.length; i++) {
      if (this.#atRecordStart) {
        const id = idField(buf, i);
        if (id === undefined) {
          // The id field runs past this chunk: decide with the next one.
          emit(copyFrom, i);
          this.#carry = Buffer.from(buf.subarray(i));
          this.#state = state;
          return out;
        }
        this.#atRecordStart = false;
        if (this.#header) this.#header = false;
        else if (id === this.#edit.id) {
          this.found = true;
          // A replaced row keeps its id (the replacement carries the same `_row_id`).
          if (this.#edit.replacement) this.#ids.add(id);
          emit(copyFrom, i);
          this.#skipping = true;
        } else if (id !== "") this.#ids.add(id);
      }
      const byte = buf[i] as number;
      switch (state) {
        case QUOTED:
          if (byte === QUOTE) state = QUOTE_IN_QUOTED;
          continue;
        case QUOTE_IN_QUOTED:
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
        this.#atRecordStart = true;
        if (this.#skipping) {
          this.#skipping = false;
          copyFrom = i + 1;
          if (this.#edit.replacement) out.push(this.#edit.replacement);
          continue;
        }
        // Every record ends the way the file's first line does, as a rewrite that encodes
        // the rows again would write it (a line added by hand may end the other way).
        const afterCr = i > 0 ? buf[i - 1] === CR : lead;
        if (this.#crlf && !afterCr) {
          emit(copyFrom, i, CRLF_BYTES);
          copyFrom = i + 1;
        } else if (!this.#crlf && afterCr) {
          if (i === 0) lead = false;
          emit(copyFrom, Math.max(copyFrom, i - 1), LF_BYTES);
          copyFrom = i + 1;
        }
      } else if (state !== QUOTE_IN_QUOTED || byte !== CR) state = UNQUOTED;
    }
    this.#state = state;
    if (!this.#skipping) {
      const last = buf.length - 1;
      if (last >= copyFrom && buf[last] === CR) {
        emit(copyFrom, last);
        this.#heldCr = true;
      } else emit(copyFrom, buf.length);
    }
    return out;
  }

  /** The end of the file: a record start still undecided (a file without a final line ending) is kept as it is. */
  end(): Buffer[] {
    const out: Buffer[] = [];
    if (this.#heldCr) out.push(CR_BYTES);
    this.#heldCr = false;
    const rest = this.#carry;
    this.#carry = undefined;
    if (rest && !this.#skipping) out.push(rest);
    return out;
  }
}

/**
 * The `_row_id` of the record starting at `start`: its first field, unquoted (an id holds
 * no quote nor comma, so a quoted one is just the id between quotes). Undefined when the
 * field runs past the end of `buf`; a field too long for an id yields "" (never matches).
 */
function idField(buf: Buffer, start: number): string | undefined {
  const quoted = buf[start] === QUOTE;
  const from = quoted ? start + 1 : start;
  const limit = Math.min(buf.length, start + MAX_ID_FIELD);
  for (let j = from; j < limit; j++) {
    const byte = buf[j];
    if (quoted ? byte === QUOTE : byte === COMMA || byte === LF || byte === CR) return buf.toString("latin1", from, j);
  }
  return limit < buf.length ? "" : undefined;
}
