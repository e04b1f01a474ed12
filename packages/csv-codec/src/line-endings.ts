const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

// Where the normaliser is, by papaparse's quote rules (those of local/csv's record-boundary
// scanner): outside a quoted cell, inside one, or just after a `"` inside one.
const OUTSIDE = 0;
const QUOTED = 1;
const QUOTE_IN_QUOTED = 2;

/**
 * Rewrites every record-ending `\r\n` to `\n`, leaving line endings inside quoted cells
 * untouched, so that a file whose lines end in both ways (a CRLF file with a line added by
 * `echo`, an LF file with a line pasted from Windows) parses with `\n` as its newline.
 * Text is fed in order, chunk by chunk; a `\r` at the end of a chunk is held until the
 * next one shows whether a `\n` follows.
 *
 * It jumps from quote to `\r` with `indexOf` rather than visiting every character: a `"`
 * opens a quoted cell only at the start of a cell (after `,`, a line ending or at the start),
 * so the character before each quote is all it needs to look at.
 */
export class LineEndingNormaliser {
  #state = OUTSIDE;
  #heldCr = false;
  /** The character before the next chunk (a line feed at the start: a record starts there). */
  #before = LF;

  /** The normalised text of the next chunk. */
  push(chunk: string): string {
    const text = this.#heldCr ? `\r${chunk}` : chunk;
    this.#heldCr = false;
    const n = text.length;
    let state = this.#state;
    let out = "";
    let copied = 0;
    let nextQuote = text.indexOf('"');
    let nextCr = text.indexOf("\r");
    let i = 0;
    while (i < n) {
      if (state === QUOTED) {
        const q = text.indexOf('"', i);
        if (q === -1) break;
        i = q + 1;
        state = QUOTE_IN_QUOTED;
        continue;
      }
      if (state === QUOTE_IN_QUOTED) {
        const c = text.charCodeAt(i);
        // `""` is a quote; after a closing quote only a delimiter or a line ending is valid
        // (papaparse reports anything else and keeps looking for the closing quote).
        if (c !== COMMA && c !== LF && c !== CR) {
          state = QUOTED;
          i++;
          continue;
        }
        state = OUTSIDE;
      }
      if (nextQuote !== -1 && nextQuote < i) nextQuote = text.indexOf('"', i);
      if (nextCr !== -1 && nextCr < i) nextCr = text.indexOf("\r", i);
      if (nextCr !== -1 && (nextQuote === -1 || nextCr < nextQuote)) {
        if (nextCr + 1 === n) {
          // Maybe the first half of a `\r\n` split across chunks: decide with the next chunk.
          this.#heldCr = true;
          out += text.slice(copied, nextCr);
          copied = n;
          break;
        }
        if (text.charCodeAt(nextCr + 1) === LF) {
          out += text.slice(copied, nextCr);
          copied = nextCr + 1; // drop the `\r`, keep the `\n`
        }
        i = nextCr + 1;
        continue;
      }
      if (nextQuote === -1) break;
      const previous = nextQuote === 0 ? this.#before : text.charCodeAt(nextQuote - 1);
      if (previous === COMMA || previous === LF) state = QUOTED;
      i = nextQuote + 1;
    }
    this.#state = state;
    const kept = this.#heldCr ? n - 1 : n;
    if (kept > 0) this.#before = text.charCodeAt(kept - 1);
    return copied === 0 ? text : out + text.slice(copied);
  }

  /** What is still held (a final lone `\r`). */
  end(): string {
    const rest = this.#heldCr ? "\r" : "";
    this.#heldCr = false;
    return rest;
  }
}

/** True when `text` has a `\n` not preceded by `\r`. */
function hasBareLf(text: string): boolean {
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) if (i === 0 || text.charCodeAt(i - 1) !== CR) return true;
  return false;
}

/**
 * Whether `text` may mix line endings when read with `newline`: a cheap scan that lets
 * consistent files (the usual case) skip the normalisation. It may say yes for a
 * consistent file whose quoted cells hold the other ending; that only costs a pass.
 */
export function mayMixLineEndings(text: string, newline: "\n" | "\r\n"): boolean {
  return newline === "\n" ? text.includes("\r\n") : hasBareLf(text);
}

/** {@link LineEndingNormaliser} over a whole text. */
export function normaliseLineEndings(text: string): string {
  const normaliser = new LineEndingNormaliser();
  return normaliser.push(text) + normaliser.end();
}
