import { issuesFromZod, secretPaths } from "../backend-config.js";
import type { BackendDefinition, BackendKind } from "../definition.js";
import type { Issue } from "../errors.js";
import type { Registry } from "../registry/registry.js";
import { isUri } from "../registry/registry.js";
import type { ResolvedBackend } from "./config-types.js";
import { resolvePathFields } from "./path-fields.js";
import { decodeLeniently } from "../uri-text.js";
import { scrub } from "./printable-config.js";

/** Where a backend section sits and how to resolve it. */
export interface BackendSectionContext<K extends BackendKind> {
  kind: K;
  /** Dotted path of the section in its document ("storage"), "" for a backend config file. */
  path: string;
  registry: Registry;
  /** Folder relative path options resolve against. */
  dir: string;
  file: string | undefined;
  /** Paths (whole document) whose strings came from `${env:}`, with the text as written. */
  fromEnv: ReadonlyMap<string, string>;
}

const at = (base: string, key: string): string => (base ? `${base}.${key}` : key);

/** A message without the "[themis] " prefix, to sit under a field path. */
function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^\[themis\] (\[[^\]]+\] )?/, "");
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

function valueAt(config: unknown, dotted: string): unknown {
  let node = config;
  for (const part of dotted.split(".")) node = isPlainObject(node) ? node[part] : undefined;
  return node;
}

/**
 * Resolve one backend section: a name, a URI, or `{ type, ...options }`. The backend is
 * looked up in the registry (did-you-mean on unknown names), its options validated
 * against its own schema. Problems are returned as issues (every one, with paths).
 */
export async function resolveBackendSection<K extends BackendKind>(
  section: unknown,
  context: BackendSectionContext<K>,
): Promise<{ backend?: ResolvedBackend<K>; issues: Issue[] }> {
  const { kind, path } = context;
  let spec: unknown;
  let specPath: string;
  let options: Record<string, unknown> = {};
  if (typeof section === "string") {
    spec = section;
    specPath = path;
  } else if (isPlainObject(section)) {
    const { type, ...rest } = section;
    spec = type;
    specPath = at(path, "type");
    options = rest;
  } else {
    return {
      issues: [
        {
          path,
          message: `expected a ${kind} backend name, a URI, or an object with "type" and options; got ${section === null ? "null" : Array.isArray(section) ? "an array" : typeof section}`,
        },
      ],
    };
  }
  if (typeof spec !== "string" || spec.trim() === "") {
    const installed = (await context.registry.list()).filter((b) => b.kind === kind && b.status !== "broken").map((b) => b.name);
    return {
      issues: [{ path: specPath, message: `missing ${kind} backend: set "type" to a backend name or URI (installed: ${installed.join(", ") || "none"})` }],
    };
  }
  let definition: BackendDefinition<K>;
  let uriConfig: Record<string, unknown>;
  try {
    ({ definition, uriConfig } = await context.registry.resolve(spec, kind));
  } catch (error) {
    return { issues: [{ path: specPath, message: reason(error) }] };
  }
  const input = resolvePathFields(definition, { ...uriConfig, ...options }, context.dir);
  const parsed = definition.configSchema.safeParse(input);
  if (!parsed.success) {
    // A schema's own messages may quote the input: keep secret values out of them.
    const secrets = secretPaths(definition)
      .map((p) => valueAt(input, p))
      .filter((v): v is string => typeof v === "string" && v.length > 0);
    return {
      issues: issuesFromZod(definition.configSchema, parsed.error).map((i) => ({ path: at(path, i.path), message: scrub(i.message, secrets) as string })),
    };
  }
  // Defaults of path fields are relative to the config's folder too.
  const config =
    typeof parsed.data === "object" && parsed.data !== null ? resolvePathFields(definition, parsed.data as Record<string, unknown>, context.dir) : parsed.data;
  const prefix = path ? `${path}.` : "";
  const fromEnv = new Map<string, string>();
  for (const [p, text] of context.fromEnv) {
    if (p === specPath) fromEnv.set("type", text);
    else if (p.startsWith(prefix)) fromEnv.set(p.slice(prefix.length), text);
  }
  const secretValues: string[] = [];
  for (const p of secretPaths(definition)) {
    const v = valueAt(config, p);
    if (typeof v === "string" && v !== "") secretValues.push(v);
  }
  if (isUri(spec)) {
    const url = new URL(spec);
    if (url.password) secretValues.push(url.password, decodeLeniently(url.password));
  }
  return {
    backend: { kind, spec, definition, input, config, fromEnv, secretValues, file: context.file, dir: context.dir },
    issues: [],
  };
}
