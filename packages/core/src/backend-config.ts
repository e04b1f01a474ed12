import { z } from "zod";
import { distance } from "fastest-levenshtein";
import { InvalidConfigError, type Issue } from "./errors.js";
import type { BackendDefinition } from "./definition.js";

/** The closest of `candidates` to `word`, if it is close enough to be a likely typo. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function pathOf(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");
}

function objectKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let s: unknown = schema;
  for (const p of path) {
    const shape = (s as { shape?: Record<string, unknown> }).shape;
    s = shape?.[String(p)];
    while (s && typeof (s as { unwrap?: unknown }).unwrap === "function") s = (s as { unwrap(): unknown }).unwrap();
  }
  const shape = (s as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}

/** Turn zod issues into `{ path, message }` issues, with did-you-mean for unknown keys. */
export function issuesFromZod(schema: z.ZodType, error: z.ZodError): Issue[] {
  const issues: Issue[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      const known = objectKeysAt(schema, issue.path);
      for (const key of issue.keys) {
        const hint = didYouMean(key, known);
        issues.push({
          path: pathOf([...issue.path, key]),
          message: `unknown option${hint ? ` (did you mean "${hint}"?)` : known.length ? ` (known: ${known.join(", ")})` : ""}`,
        });
      }
    } else {
      issues.push({ path: pathOf(issue.path), message: issue.message });
    }
  }
  return issues;
}

/**
 * Validate a raw config against a backend's schema and return the parsed config (with
 * defaults). Throws {@link InvalidConfigError} naming every field path and reason.
 * `source` (a file name) is added to the message when the config came from a file.
 */
// biome-ignore lint/suspicious/noExplicitAny: any kind of definition
export function parseBackendConfig<C>(definition: BackendDefinition<any, C>, raw: unknown, source?: string): C {
  const result = definition.configSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const where = source ? ` in ${source}` : "";
  throw new InvalidConfigError(`invalid config for backend "${definition.name}"${where}`, issuesFromZod(definition.configSchema, result.error), {
    backend: definition.name,
  });
}

/** JSON Schema (draft 2020-12) of a backend's config, for `themis backends schema` and editors. */
export function configJsonSchema(definition: BackendDefinition): Record<string, unknown> {
  return z.toJSONSchema(definition.configSchema, { unrepresentable: "any", io: "input" }) as Record<string, unknown>;
}

/** Dotted paths of the config fields marked `.meta({ secret: true })`. */
export function secretPaths(definition: BackendDefinition): string[] {
  const out: string[] = [];
  const walk = (node: unknown, path: string): void => {
    if (!node || typeof node !== "object") return;
    const n = node as Record<string, unknown>;
    if (n.secret === true && path) out.push(path);
    const props = n.properties as Record<string, unknown> | undefined;
    if (props) for (const [k, v] of Object.entries(props)) walk(v, path ? `${path}.${k}` : k);
    for (const key of ["anyOf", "oneOf", "allOf"]) {
      const list = n[key];
      if (Array.isArray(list)) for (const v of list) walk(v, path);
    }
  };
  walk(configJsonSchema(definition), "");
  return [...new Set(out)];
}

/** The redaction marker put in place of secret values. */
export const REDACTED = "[redacted]";

/** A copy of `config` with every secret field replaced by `[redacted]`; safe to print. */
export function redactConfig(definition: BackendDefinition, config: unknown): unknown {
  if (!config || typeof config !== "object") return config;
  const copy = structuredCloneSafe(config) as Record<string, unknown>;
  for (const path of secretPaths(definition)) {
    const parts = path.split(".");
    let obj: Record<string, unknown> | undefined = copy;
    for (const p of parts.slice(0, -1)) obj = obj?.[p] as Record<string, unknown> | undefined;
    const last = parts.at(-1)!;
    if (obj && typeof obj === "object" && obj[last] !== undefined) obj[last] = REDACTED;
  }
  return copy;
}

function structuredCloneSafe(value: unknown): unknown {
  // Configs may hold live clients (an ioredis instance): copy plain data, keep the rest by reference.
  if (Array.isArray(value)) return value.map(structuredCloneSafe);
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, structuredCloneSafe(v)]));
  }
  return value;
}
