import { type FinalState, decodeExitStatus, isTerminal } from "./job-states.js";
import { type SlurmCli, slurm } from "./slurm-cli.js";

/** How often to ask squeue. */
export interface PollPolicy {
  /** Shortest delay between two squeue calls, in ms: the delay right after a job is submitted or ends. */
  readonly minMs: number;
  /** Longest delay between two calls. */
  readonly maxMs: number;
}

interface Watch {
  readonly resolve: (state: FinalState) => void;
  readonly reject: (error: unknown) => void;
  /** squeue calls in a row that did not list the job. */
  misses: number;
}

// A job missing this many squeue calls in a row has left the queue unseen (or never got
// into squeue's view: sbatch has already answered with its id, so it was accepted).
const MAX_MISSES = 5;

// Between the two, the delay is this share of the time since a job was last submitted or
// ended: a job is seen ending at most ~20 % late, and a long wait costs few calls.
const BACKOFF_SHARE = 0.2;

// slurmctld may be briefly unreachable (a restart, a failover, an overloaded moment): squeue
// failures are retried for this long before every waiting job is given the error.
const OUTAGE_TOLERANCE_MS = 120_000;

// squeue --Format fields, each with a width wide enough never to cut and "|" after it.
const FORMAT = "JobID:30|,State:30|,Reason:200|,exit_code:20|";

/**
 * Watches the jobs of one executor with one `squeue` call per tick for all of them (never
 * one call per job: slurmctld serves the whole cluster), backing off while nothing changes:
 * the delay is a fifth of the time since a job was last submitted or ended, within
 * [minMs, maxMs].
 * Without slurmdbd there is no sacct: squeue `-t all` lists ended jobs for slurmctld's
 * MinJobAge (300 s by default), which is when their end state is read.
 */
export class JobWatcher {
  readonly #cli: SlurmCli;
  readonly #policy: PollPolicy;
  readonly #watches = new Map<string, Watch>();
  #lastChange = performance.now();
  // When squeue started failing, if it is failing now.
  #failingSince: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #polling = false;

  constructor(cli: SlurmCli, policy: PollPolicy) {
    this.#cli = cli;
    this.#policy = policy;
  }

  /** Resolves with the job's end state once squeue shows one. */
  wait(jobId: string): Promise<FinalState> {
    return new Promise((resolve, reject) => {
      this.#watches.set(jobId, { resolve, reject, misses: 0 });
      // A new job may end soon: look again quickly rather than after the longest delay.
      this.#lastChange = performance.now();
      this.#schedule(true);
    });
  }

  /** Look again soon (after a scancel, when the end is near). */
  poke(): void {
    this.#lastChange = performance.now();
    this.#schedule(true);
  }

  #schedule(reset: boolean): void {
    if (this.#polling) return;
    if (this.#timer && !reset) return;
    clearTimeout(this.#timer);
    if (this.#watches.size === 0) {
      this.#timer = undefined;
      return;
    }
    const delay = Math.min(this.#policy.maxMs, Math.max(this.#policy.minMs, BACKOFF_SHARE * (performance.now() - this.#lastChange)));
    this.#timer = setTimeout(() => void this.#tick(), delay);
  }

  async #tick(): Promise<void> {
    this.#timer = undefined;
    this.#polling = true;
    let changed = false;
    try {
      changed = await this.#poll();
      this.#failingSince = undefined;
    } catch (error) {
      this.#failingSince ??= performance.now();
      const transient = (error as { retryable?: unknown }).retryable === true;
      if (!transient || performance.now() - this.#failingSince > OUTAGE_TOLERANCE_MS) {
        // squeue missing, or slurmctld gone for minutes: every waiting job learns it; callers scancel.
        this.#failingSince = undefined;
        for (const [id, watch] of this.#watches) {
          this.#watches.delete(id);
          watch.reject(error);
        }
      }
    } finally {
      this.#polling = false;
    }
    if (changed) this.#lastChange = performance.now();
    this.#schedule(false);
  }

  /** One squeue call for every watched job; true when one of them ended. */
  async #poll(): Promise<boolean> {
    const ids = [...this.#watches.keys()];
    if (ids.length === 0) return false;
    let text: string;
    try {
      text = await slurm(this.#cli, "squeue", ["--noheader", "--states=all", `--jobs=${ids.join(",")}`, `--Format=${FORMAT}`], "reading job states");
    } catch (error) {
      // squeue refuses the whole call when none of the ids is known any more.
      if (!/invalid job id/i.test(String((error as Error).message))) throw error;
      text = "";
    }
    const seen = new Set<string>();
    let changed = false;
    for (const line of text.split("\n")) {
      const [id = "", state = "", reason = "", status = ""] = line.split("|").map((f) => f.trim());
      const watch = this.#watches.get(id);
      if (!watch) continue;
      seen.add(id);
      watch.misses = 0;
      // "CANCELLED by 0" in some versions: the first word is the state.
      const base = state.split(" ")[0] ?? "";
      if (!isTerminal(base)) continue;
      this.#watches.delete(id);
      watch.resolve({ jobId: id, state: base, reason, ...decodeExitStatus(Number(status) || 0) });
      changed = true;
    }
    for (const id of ids) {
      const watch = this.#watches.get(id);
      if (!watch || seen.has(id) || ++watch.misses < MAX_MISSES) continue;
      this.#watches.delete(id);
      watch.resolve({ jobId: id, state: "UNKNOWN", reason: "NotInQueue", exitCode: null, termSignal: null });
      changed = true;
    }
    return changed;
  }

  /** Stop polling; jobs still watched are rejected with `reason`. */
  stop(reason: unknown): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const [id, watch] of this.#watches) {
      this.#watches.delete(id);
      watch.reject(reason);
    }
  }
}
