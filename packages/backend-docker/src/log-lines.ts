import { StringDecoder } from "node:string_decoder";

/** One line a job printed, as given to the `onLog` callback. */
export interface DockerLogEvent {
  readonly stream: "stdout" | "stderr";
  /** The line, without its trailing newline (a last line without one is delivered at exit). */
  readonly line: string;
  /** Position of the job's item in the input of `map`. */
  readonly index: number;
  /** 1 for the first try, 2 for the first retry, ... */
  readonly attempt: number;
  /** The container the line comes from. */
  readonly containerId: string;
}

/**
 * Splits a byte stream into lines for `onLog`, decoding UTF-8 across chunk boundaries.
 * Lines longer than `maxLineBytes` are delivered in pieces, so a program printing without
 * newlines cannot make it buffer without bound.
 */
export class LineSplitter {
  readonly #emit: (line: string) => void;
  readonly #maxLineChars: number;
  readonly #decoder = new StringDecoder("utf8");
  #pending = "";

  constructor(emit: (line: string) => void, maxLineChars = 64 * 1024) {
    this.#emit = emit;
    this.#maxLineChars = maxLineChars;
  }

  push(chunk: Buffer): void {
    let text = this.#pending + this.#decoder.write(chunk);
    let newline = text.indexOf("\n");
    while (newline !== -1) {
      this.#emit(text.slice(0, newline > 0 && text[newline - 1] === "\r" ? newline - 1 : newline));
      text = text.slice(newline + 1);
      newline = text.indexOf("\n");
    }
    while (text.length > this.#maxLineChars) {
      this.#emit(text.slice(0, this.#maxLineChars));
      text = text.slice(this.#maxLineChars);
    }
    this.#pending = text;
  }

  /** Deliver what is left (a last line without a newline). */
  end(): void {
    const rest = this.#pending + this.#decoder.end();
    this.#pending = "";
    if (rest !== "") this.#emit(rest);
  }
}
