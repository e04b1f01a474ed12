import cliProgress from "cli-progress";
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
