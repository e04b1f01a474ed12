import { parse } from "yaml";
import { UsageError } from "./exit-codes.js";

/**
 * Collect repeated `--option key=value` flags into an object. Values are read as YAML
 * scalars, so `port=6379` is a number and `tls=true` a boolean; quote to keep a string
 * (`name='007'`). Dotted keys (`retry.max=3`) build nested objects.
 */
export function collectOption(pair: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const eq = pair.indexOf("=");
  if (eq <= 0) throw new UsageError(`expected key=value, got "${pair}"`);
  const key = pair.slice(0, eq).trim();
  const text = pair.slice(eq + 1);
  let value: unknown;
  try {
    value = text === "" ? "" : parse(text);
  } catch {
    value = text;
  }
  const out = { ...previous };
  const parts = key.split(".");
  let node = out;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    node = node[part] = typeof next === "object" && next !== null ? { ...(next as Record<string, unknown>) } : {};
  }
  node[parts.at(-1)!] = value;
  return out;
}
