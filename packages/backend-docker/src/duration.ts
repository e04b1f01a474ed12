/**
 * Durations: a number of milliseconds, or a string with a unit: "500ms", "30s", "5m",
 * "1h", "1.5h".
 */
const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/i;

/** Milliseconds of a duration, or undefined when it is not one. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value > 0 ? Math.round(value) : undefined;
  const match = DURATION.exec(value.trim());
  if (!match) return undefined;
  const ms = Math.round(Number(match[1]) * UNITS[match[2]!.toLowerCase()]!);
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}
