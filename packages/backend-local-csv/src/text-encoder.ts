// Encoding CSV text to bytes into one reused buffer, so that appends at scale leave the
// native heap as they found it.

/**
 * Encodes text as UTF-8 into one buffer it keeps and reuses (a fresh one only for text too
 * large for it). Why: a fresh `Buffer.from(text)` per write of a few hundred KiB frees and
 * allocates native memory on every batch; glibc's malloc then raises its mmap threshold
 * (to the size of the freed block) and serves the next ones from its heap, which fragments,
 * and RSS grew ~70 MB between 100k and 1M appended rows for that alone (issue 18).
 *
 * The bytes returned are valid until the next call: the caller writes them before encoding
 * more (one writer per table at a time, see the group commit queue).
 */
export class ReusedEncoder {
  readonly #buffer: Buffer;

  /** @param bytes size of the reused buffer, allocated once. */
  constructor(bytes: number) {
    this.#buffer = Buffer.allocUnsafeSlow(bytes);
  }

  /** The UTF-8 bytes of `text`: a view of the reused buffer when they fit, else a new buffer. */
  encode(text: string): Buffer {
    const n = this.#buffer.write(text, 0, "utf8");
    // `write` stops before a character that does not fit: with 4 bytes (the longest UTF-8
    // character) still free, everything was written; else count to be sure.
    if (n + 4 <= this.#buffer.length || n === Buffer.byteLength(text, "utf8")) return this.#buffer.subarray(0, n);
    return Buffer.from(text, "utf8");
  }
}
