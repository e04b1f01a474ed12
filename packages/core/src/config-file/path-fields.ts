import path from "node:path";
import { configJsonSchema } from "../backend-config.js";
import type { BackendDefinition } from "../definition.js";

/**
 * Top-level config fields a backend marks `.meta({ path: true })`: file system paths that,
 * when relative, are resolved against the config file's folder (not the folder the
 * command happens to run in).
 */
export function pathFields(definition: BackendDefinition): string[] {
  const schema = configJsonSchema(definition);
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  return Object.entries(props)
    .filter(([, p]) => p.path === true || (Array.isArray(p.anyOf) && p.anyOf.some((x: { path?: unknown }) => x?.path === true)))
    .map(([k]) => k);
}

/** A copy of `options` with relative path fields resolved against `dir`. */
export function resolvePathFields(definition: BackendDefinition, options: Record<string, unknown>, dir: string): Record<string, unknown> {
  const out = { ...options };
  for (const field of pathFields(definition)) {
    const value = out[field];
    if (typeof value === "string" && value !== "" && !path.isAbsolute(value)) out[field] = path.resolve(dir, value);
  }
  return out;
}
