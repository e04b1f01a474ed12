import cliProgress from "cli-progress";
import type { ExperimentProgress, RunEvent } from "@themis/core";
import type { Output } from "./output.js";

/** The subset of a cli-progress bar the commands use. */
export interface ProgressBar {
  update(value: number, total: number, payload: Record<string, unknown>): void;
  stop(): void;
}

/**
 * A progress bar on stderr, or undefined when stderr is not a terminal or output is JSON
 * (pipes and CI logs get the summary only).
 */
export function progressBar(out: Output, format: string): ProgressBar | undefined {
  if (out.json || !out.streams.stderr.isTTY || process.env.THEMIS_NO_PROGRESS) return undefined;
  const bar = new cliProgress.SingleBar(
    { format, stream: out.streams.stderr as NodeJS.WritableStream, hideCursor: true, clearOnComplete: false, etaBuffer: 50, fps: 10 },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let stopped = false;
  return {
    update(value, total, payload) {
      if (stopped) return;
      if (!started) {
        bar.start(total, value, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(value, payload);
      }
    },
    stop() {
      if (started && !stopped) bar.stop();
      stopped = true;
    },
  };
}

/** A duration for humans, rounded to whole seconds first so it never reads "15m60s": 45s, 15m00s, 2h03m. */
export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const total = Math.round(seconds);
  if (total < 60) return `${total}s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes}m${String(total % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

/** How `themis run` reports progress: a bar on a terminal, plain lines elsewhere, JSON lines, or nothing. */
export type ProgressMode = "auto" | "bar" | "plain" | "json" | "none";

/** The mode `auto` stands for here: a bar on a terminal, plain lines on a pipe or CI log. */
export function resolveProgressMode(out: Output, mode: ProgressMode): Exclude<ProgressMode, "auto"> {
  if (process.env.THEMIS_NO_PROGRESS) return "none";
  if (mode !== "auto") return mode;
  return out.streams.stderr.isTTY && !out.json ? "bar" : "plain";
}

/** The plain progress line: done/failed/total, rate and ETA. */
export function progressLine(p: { done: number; failed: number; skipped: number; total: number | undefined; ratePerSecond: number }): string {
  const seen = p.done + p.skipped;
  const total = p.total ?? seen;
  const eta = p.ratePerSecond > 0 ? formatEta((total - seen) / p.ratePerSecond) : "?";
  const skipped = p.skipped > 0 ? `, ${p.skipped} skipped` : "";
  return `[themis] ${seen}/${total} rows (${p.failed} failed${skipped}) | ${p.ratePerSecond.toFixed(1)} rows/s | ETA ${eta}`;
}

/** What `themis run` passes to runExperiment for progress, and how it ends. */
export interface RunReporter {
  onProgress?: (p: ExperimentProgress) => void;
  onEvent: (event: RunEvent) => void;
  progressIntervalMs: number;
  /** Stop the bar (before a final line or on Ctrl-C). */
  stop(): void;
}

/**
 * Progress of an experiment run, by mode: a bar, a plain line every few seconds
 * (THEMIS_PROGRESS_INTERVAL_MS, default 5000), JSON lines (one event per line on stderr),
 * or nothing. Whatever the mode, a code change and storage trouble are said on stderr.
 */
export function runReporter(out: Output, mode: Exclude<ProgressMode, "auto">): RunReporter {
  const bar = mode === "bar" ? progressBar(out, "{bar} {value}/{total} rows | {failed} failed | {rate}/s | ETA {eta_formatted}") : undefined;
  const interval = Number(process.env.THEMIS_PROGRESS_INTERVAL_MS) || (mode === "json" ? 1000 : 5000);
  let storageTrouble = false;
  const say = (text: string): void => {
    if (mode === "json") return;
    bar?.stop();
    out.note(text);
  };
  return {
    ...(bar
      ? {
          onProgress: (p: ExperimentProgress) =>
            bar.update(p.done + p.skipped, p.total ?? p.done + p.skipped, { failed: p.failed, rate: p.ratePerSecond.toFixed(1) }),
        }
      : {}),
    progressIntervalMs: interval,
    stop: () => bar?.stop(),
    onEvent(event) {
      if (mode === "json") {
        out.streams.stderr.write(`${JSON.stringify({ ...event, time: new Date().toISOString() })}\n`);
        return;
      }
      if (event.type === "progress") {
        if (mode === "plain") out.note(progressLine(event));
        storageTrouble = false;
      } else if (event.type === "run-started" && mode === "plain") {
        out.note(`[themis] run ${event.runId} started: ${event.total ?? "?"} rows of "${event.dataset}" -> experiment "${event.experiment}"`);
      } else if (event.type === "code-changed") {
        say(
          `[themis] the task's code changed since run ${event.previousRunId} (sha256 ${String(event.previousCodeHash).slice(0, 12)} -> ${String(event.codeHash).slice(0, 12)}): its results are not reused, rows are recomputed (pin with --task-version)`,
        );
      } else if (event.type === "storage-error" && !storageTrouble) {
        storageTrouble = true;
        say(`[themis] storage unreachable (${event.message}); retrying at the next heartbeat`);
      } else if (event.type === "cancel-requested") {
        say(`[themis] cancel requested (${event.reason}): stopping`);
      }
    },
  };
}
