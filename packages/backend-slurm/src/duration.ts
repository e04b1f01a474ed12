import { MAX_TIMEOUT_MS } from "@themis/core";

// Durations: a number of milliseconds, or a string with a unit: "500ms", "30s", "5m", "1h".
const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/i;

/**
 * Milliseconds of a duration, or undefined when it is not one, or when it is longer than
 * a Node timer can hold (`MAX_TIMEOUT_MS`, about 24.8 days: a longer one would fire at once).
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
