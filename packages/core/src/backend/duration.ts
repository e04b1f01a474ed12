import { z } from "zod";
import { MAX_TIMEOUT_MS } from "../deadline.js";

// Durations in backend configs: a number of milliseconds, or a string with a unit:
// "500ms", "30s", "5m", "1h", "1.5h". Shared by the executors whose users write timeouts by hand.
const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/i;

/**
 * Milliseconds of a duration, or undefined when it is not one, or when it is longer than
 * a Node timer can hold (`MAX_TIMEOUT_MS`, about 24.8 days: "1000h" would fire at once).
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === "number") return inRange(Math.round(value));
  const match = DURATION.exec(value.trim());
  const unit = match ? UNITS[(match[2] ?? "").toLowerCase()] : undefined;
  if (!match || unit === undefined) return undefined;
  return inRange(Math.round(Number(match[1]) * unit));
}

function inRange(ms: number): number | undefined {
  return Number.isFinite(ms) && ms > 0 && ms <= MAX_TIMEOUT_MS ? ms : undefined;
}

/**
 * The zod schema of a duration option (`timeout: "5m"` or `timeout: 300000`): the value is
 * kept as written (a config printed back reads as the user wrote it); read it with
 * {@link parseDuration}.
 */
export const durationSchema = z.union([z.number(), z.string()]).refine((v) => parseDuration(v) !== undefined, {
  message: 'expected milliseconds (a positive number) or a duration such as "30s", "5m", "1h", at most 596h (a Node timer\'s limit)',
});
