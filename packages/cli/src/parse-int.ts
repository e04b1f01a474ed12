import { InvalidArgumentError } from "commander";
import { MAX_TIMEOUT_MS } from "@themis/core";

/** A commander argument parser for a whole number >= 1 (a bad value is a usage error). */
export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number >= 1");
  return n;
}

/**
 * A commander argument parser for milliseconds a timer can hold: 1 to 2^31-1 (a longer
 * Node timer fires after 1 ms, so "3000000000" would time every job out at once).
 */
export function parseTimeoutMs(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > MAX_TIMEOUT_MS)
    throw new InvalidArgumentError(`expected milliseconds from 1 to ${MAX_TIMEOUT_MS} (about 24.8 days)`);
  return n;
}
