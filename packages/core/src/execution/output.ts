import type { CapturedOutput } from "./contract.js";

/** Default bytes kept per output stream by the built-in executors: 1 MiB. */
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;

/**
 * Collects one output stream up to a byte limit. What goes beyond is counted and dropped,
 * so a job printing gigabytes costs no memory. Executors (built-in or not) feed it chunks
 * and call {@link OutputCapture.result} at the end.
 */
export class OutputCapture {
  readonly maxBytes: number;
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  #total = 0;

  constructor(maxBytes: number = DEFAULT_MAX_OUTPUT_BYTES) {
    this.maxBytes = Math.max(0, Math.floor(maxBytes));
  }

  /** Add a chunk of output. */
  push(chunk: Uint8Array | string): void {
    const buf = typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.#total += buf.length;
    const room = this.maxBytes - this.#kept;
    if (room <= 0) return;
    const part = buf.length <= room ? Buffer.from(buf) : Buffer.from(buf.subarray(0, room));
    this.#chunks.push(part);
    this.#kept += part.length;
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.#total;
  }

  /** The capture: kept bytes decoded as UTF-8 (a character cut at the limit becomes U+FFFD). */
  result(): CapturedOutput {
    return { text: Buffer.concat(this.#chunks, this.#kept).toString("utf8"), bytes: this.#total, truncated: this.#total > this.#kept };
  }
}
