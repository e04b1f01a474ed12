import type { Pipeline } from "./define.js";
import { downstreamOf } from "./graph.js";
import type { CancelTarget } from "./cancel-watch.js";

/**
 * The signals of a run's stages: each stage stops when the run stops, or when it, or a stage
 * upstream of it, is cancelled alone (a stage cannot go on without its upstream rows; the
 * other stages do).
 */
export class StageCancels {
  readonly #pipeline: Pipeline;
  readonly #run: AbortController;
  readonly #stages = new Map<string, AbortController>();
  readonly #signals = new Map<string, AbortSignal>();
  /** Stages cancelled alone (with the stages downstream of them), and why. */
  readonly reasons = new Map<string, string>();
  /** Why the whole run was cancelled through a request, if it was. */
  runReason: string | undefined;

  constructor(pipeline: Pipeline, running: readonly string[], run: AbortController) {
    this.#pipeline = pipeline;
    this.#run = run;
    for (const name of running) {
      const own = new AbortController();
      this.#stages.set(name, own);
      this.#signals.set(name, AbortSignal.any([run.signal, own.signal]));
    }
  }

  /** The signal a stage runs under (the run's, for a stage that is only read). */
  signalOf(stage: string): AbortSignal {
    return this.#signals.get(stage) ?? this.#run.signal;
  }

  /** A request arrived: stop the stage and what is downstream of it, or the whole run. */
  cancel(target: CancelTarget, reason: string): void {
    if (target === null) {
      this.runReason ??= reason;
      this.#run.abort(new Error(reason));
      return;
    }
    for (const name of downstreamOf(this.#pipeline.nodes, target)) {
      const own = this.#stages.get(name);
      if (own === undefined || own.signal.aborted) continue;
      this.reasons.set(name, reason);
      own.abort(new Error(reason));
    }
  }

  /** Why a stage was cancelled (alone or with the run), or undefined. */
  reasonOf(stage: string): string | undefined {
    return this.reasons.get(stage) ?? this.runReason;
  }
}
