/**
 * Splits the Docker Engine's multiplexed attach/logs stream (used when a container has no
 * TTY) into stdout and stderr. Each frame is an 8-byte header (stream type: 0 stdin,
 * 1 stdout, 2 stderr; 3 bytes padding; big-endian uint32 payload length) and its payload.
 * Payloads are handed on as they arrive, even when a frame spans chunks, so memory stays
 * bounded by the chunk size whatever the frame size.
 */
export class FrameDemuxer {
  readonly #onStdout: (chunk: Buffer) => void;
  readonly #onStderr: (chunk: Buffer) => void;
  readonly #header = Buffer.alloc(8);
  #headerBytes = 0;
  #stream = 0;
  #remaining = 0;

  constructor(onStdout: (chunk: Buffer) => void, onStderr: (chunk: Buffer) => void) {
    this.#onStdout = onStdout;
    this.#onStderr = onStderr;
  }

  push(chunk: Buffer): void {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#remaining === 0) {
        const take = Math.min(8 - this.#headerBytes, chunk.length - offset);
        chunk.copy(this.#header, this.#headerBytes, offset, offset + take);
        this.#headerBytes += take;
        offset += take;
        if (this.#headerBytes < 8) return;
        this.#headerBytes = 0;
        this.#stream = this.#header[0]!;
        this.#remaining = this.#header.readUInt32BE(4);
        continue;
      }
      const take = Math.min(this.#remaining, chunk.length - offset);
      const payload = chunk.subarray(offset, offset + take);
      offset += take;
      this.#remaining -= take;
      if (this.#stream === 2) this.#onStderr(payload);
      else if (this.#stream === 1) this.#onStdout(payload);
      // Type 0 (stdin echo) never carries job output: dropped.
    }
  }
}
