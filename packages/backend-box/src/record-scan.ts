// Finding records in a table's CSV text without parsing it: by jumping from quote to quote
// and line to line, so that edits, one-row reads and sliced parsing touch only what they need.

/**
 * Finds where records end, scanning forward: each call must start at or after the previous
 * one's start. It remembers where the next quote is, so that a text with few quotes is not
 * searched to its end for one at every record (the scan of a whole file stays linear).
 */
export class RecordScanner {
  readonly text: string;
  /** Position of the first quote at or after the last search; Infinity when there is none. */
  #quote = -1;

  constructor(text: string) {
    this.text = text;
  }

  #nextQuote(from: number): number {
    if (this.#quote < from) {
      const at = this.text.indexOf('"', from);
      this.#quote = at === -1 ? Infinity : at;
    }
    return this.#quote;
  }

  /**
   * The end of the record starting at `start` (just after its "\n", or the end of the
   * text). A line break inside a quoted cell belongs to the record; a doubled quote inside
   * one is a quote, not its end.
   */
  end(start: number): number {
    const { text } = this;
    let i = start;
    for (;;) {
      const newline = text.indexOf("\n", i);
      const quote = this.#nextQuote(i);
      if (quote === Infinity || (newline !== -1 && newline < quote)) return newline === -1 ? text.length : newline + 1;
      let close = text.indexOf('"', quote + 1);
      while (close !== -1 && text.charCodeAt(close + 1) === 34) close = text.indexOf('"', close + 2);
      if (close === -1) return text.length;
      i = close + 1;
    }
  }
}

/** The end of the record starting at `start` (see {@link RecordScanner.end}). */
export function recordEnd(text: string, start: number): number {
  return new RecordScanner(text).end(start);
}

/**
 * Where records number `wanted` (0 = the first after the header) start and end in `text`,
 * line ending included: a scan that stops after the last one wanted.
 */
export function recordSpans(text: string, wanted: ReadonlySet<number>): Map<number, [number, number]> {
  const spans = new Map<number, [number, number]>();
  const last = Math.max(-1, ...wanted);
  const scanner = new RecordScanner(text);
  let start = scanner.end(0);
  for (let record = 0; record <= last && start < text.length; record++) {
    const end = scanner.end(start);
    if (wanted.has(record)) spans.set(record, [start, end]);
    start = end;
  }
  return spans;
}

/** Characters of a table's text parsed at a time by TableFile.streamRows. */
const SLICE_CHARS = 1 << 20;

/**
 * The records of a table's text after its header, in slices of about SLICE_CHARS cut
 * between records (a quoted line break stays inside its slice), with each slice's first
 * line number for error messages.
 */
export function* textSlices(text: string): Generator<{ from: number; to: number; line: number }> {
  const scanner = new RecordScanner(text);
  let from = scanner.end(0);
  let line = 1 + countLines(text, 0, from);
  while (from < text.length) {
    let to = from;
    while (to < text.length && to - from < SLICE_CHARS) to = scanner.end(to);
    yield { from, to, line };
    line += countLines(text, from, to);
    from = to;
  }
}

/** Line breaks in text[from, to). */
function countLines(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf("\n", from); i !== -1 && i < to; i = text.indexOf("\n", i + 1)) n++;
  return n;
}
