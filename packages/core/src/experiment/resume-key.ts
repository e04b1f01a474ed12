import { createHash } from "node:crypto";
import type { JsonValue } from "../rows.js";

/** JSON with object keys sorted, so equal parameters hash equally whatever their key order. */
export function canonicalJson(value: JsonValue | undefined): string {
  if (value === undefined) return "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
}

/**
 * The key that says "this result was computed by this task with these parameters": a hash
 * of the task's identity and the canonical parameters. A result row counts as done for
 * `resume` only when its dataset row id and this key both match, so changing the task or a
 * parameter recomputes instead of reusing stale results.
 */
export function resumeKey(taskIdentity: string, parameters: { [key: string]: JsonValue }): string {
  return createHash("sha256").update(taskIdentity).update("\u0000").update(canonicalJson(parameters)).digest("hex").slice(0, 32);
}
