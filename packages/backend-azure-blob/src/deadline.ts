/**
 * An abort signal that fires when `ms` pass without progress: `touch()` restarts the clock
 * (a listing calls it on each page), `done()` stops it. The SDK's own `tryTimeoutInMs` is
 * only a hint to the server, so a server that accepts a connection and never answers
 * would hang a call without this.
 */
export class IdleDeadline {
  readonly #controller = new AbortController();
  readonly #ms: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number) {
    this.#ms = ms;
    this.touch();
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  touch(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#controller.abort(new Error(`no answer within ${this.#ms} ms`)), this.#ms);
    this.#timer.unref();
  }

  done(): void {
    clearTimeout(this.#timer);
  }
}
