import { InvalidArgumentError } from "commander";

/** A commander argument parser for a whole number >= 1 (a bad value is a usage error). */
export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError("expected a whole number >= 1");
  return n;
}
