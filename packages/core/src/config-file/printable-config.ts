import { REDACTED, redactConfig } from "../backend-config.js";
import { redactUrls } from "../uri-text.js";
import type { ResolvedBackend, ThemisConfig } from "./config-types.js";

/** A URI with its credentials masked (see {@link redactUrls}). */
export function maskUri(spec: string): string {
  return redactUrls(spec);
}

function setAt(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== "");
  let node: unknown = target;
  for (const part of parts.slice(0, -1)) {
    node = (node as Record<string, unknown> | undefined)?.[part];
    if (typeof node !== "object" || node === null) return;
  }
  const last = parts.at(-1);
  if (last !== undefined && typeof node === "object" && node !== null) (node as Record<string, unknown>)[last] = value;
}

/**
 * A backend's config as safe to print: defaults applied, secret fields `[redacted]`,
 * values from the environment shown as the `${env:NAME}` text written in the config,
 * passwords in URIs masked.
 */
export function printableBackend(backend: ResolvedBackend): Record<string, unknown> {
  const redacted = redactConfig(backend.definition, backend.config);
  const out: Record<string, unknown> = {
    type: maskUri(backend.spec),
    ...(typeof redacted === "object" && redacted !== null ? (redacted as Record<string, unknown>) : {}),
  };
  for (const [p, text] of backend.fromEnv) setAt(out, p, text);
  // Credentials in any URL-shaped field (a docker "host: ssh://user:pw@..."), not only in
  // fields the backend marked secret.
  return mapStrings(scrub(out, backend.secretValues), redactUrls) as Record<string, unknown>;
}

/** A whole config as safe to print (see {@link printableBackend}). */
export function printableConfig(config: ThemisConfig): Record<string, unknown> {
  return {
    file: config.file ?? null,
    ...(config.project !== undefined ? { project: config.project } : {}),
    ...(config.storage ? { storage: printableBackend(config.storage) } : {}),
    ...(config.execution ? { execution: printableBackend(config.execution) } : {}),
    ...(config.backends.allow || config.backends.skip ? { backends: config.backends } : {}),
  };
}

/** `value` with `fn` applied to each of its strings (plain objects and arrays are copied). */
function mapStrings(value: unknown, fn: (s: string) => string): unknown {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return fn(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value);
}

/**
 * Replace every occurrence of a secret value, as written or URI-encoded, in the strings
 * of `value` (last line of defence).
 */
export function scrub(value: unknown, secrets: readonly string[]): unknown {
  const forms = [...new Set(secrets)].filter((s) => s.length >= 3).flatMap((s) => [s, encodeURIComponent(s)]);
  const list = [...new Set(forms)].sort((a, b) => b.length - a.length);
  if (list.length === 0) return value;
  return mapStrings(value, (s) => list.reduce((text, secret) => text.split(secret).join(REDACTED), s));
}
