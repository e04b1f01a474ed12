/**
 * Memory sizes as Docker's CLI writes them: a number with an optional unit `b`, `k`, `m`,
 * `g` or `t` (binary multiples, case-insensitive, an optional trailing `b`): "512m", "2g",
 * "1.5g", "256MB". A bare number is bytes.
 */
const UNITS: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
};

const SIZE = /^(\d+(?:\.\d+)?)\s*([kmgt]?)b?$/i;

/** The smallest memory limit the Docker engine accepts (6 MiB). */
export const MIN_MEMORY_BYTES = 6 * 1024 ** 2;

/** Bytes of a size string or number, or undefined when it is not one. */
export function parseMemorySize(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  const match = SIZE.exec(value.trim());
  if (!match) return undefined;
  const bytes = Math.floor(Number(match[1]) * UNITS[match[2]!.toLowerCase()]!);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}
