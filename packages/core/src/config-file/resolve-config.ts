import path from "node:path";
import { z } from "zod";
import { didYouMean, issuesFromZod } from "../backend-config.js";
import type { BackendKind } from "../definition.js";
import type { Issue } from "../errors.js";
import { validateName } from "../names.js";
import { Registry, isUri } from "../registry/registry.js";
import type { ResolvedBackend, ThemisConfig } from "./config-types.js";
import { InvalidConfigFileError } from "./config-file-error.js";
import { substituteEnv } from "./env-references.js";
import { resolveBackendSection } from "./resolve-backend.js";

/** Options of {@link resolveConfig} and {@link resolveBackendConfig}. */
export interface ResolveConfigOptions {
  /** The file the document came from (named in errors; its folder anchors relative paths). */
  file?: string | undefined;
  /** Folder relative paths resolve against. Default: the file's folder, else process.cwd(). */
  dir?: string;
  /**
   * Registry to resolve backend names with. Default: a registry of the backends installed
   * around `dir`, honouring the config's `backends.allow` / `backends.skip`.
   */
  registry?: Registry;
  /** Environment for `${env:NAME}` references. Default: process.env. */
  env?: NodeJS.ProcessEnv;
}

const backendList = z.array(z.string().min(1)).optional();

/** The top level of a themis config. Backend sections are checked against each backend's own schema. */
export const themisConfigSchema = z.strictObject({
  $schema: z.string().optional(),
  project: z.string().optional(),
  storage: z.unknown().optional(),
  execution: z.unknown().optional(),
  backends: z.strictObject({ allow: backendList, skip: backendList }).optional(),
});

function failure(what: string, file: string | undefined, issues: Issue[]): InvalidConfigFileError {
  return new InvalidConfigFileError(what, file, issues);
}

function describeType(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
}

/**
 * Validate a themis config document (as read from a file or given in code) and resolve
 * its backends. Throws {@link InvalidConfigFileError} listing every problem: unknown keys
 * and backend names (with did-you-mean), options that fail the backend's own schema,
 * unset `${env:NAME}` variables.
 */
export async function resolveConfig(raw: unknown, options: ResolveConfigOptions = {}): Promise<ThemisConfig> {
  const file = options.file;
  const dir = options.dir ?? (file ? path.dirname(file) : process.cwd());
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw failure("invalid themis config", file, [{ path: "", message: `expected an object with "storage", "execution", ...; got ${describeType(raw)}` }]);
  }
  const issues: Issue[] = [];
  const env = substituteEnv(raw, options.env ?? process.env);
  issues.push(...env.issues);
  const doc = env.value as Record<string, unknown>;
  const top = themisConfigSchema.safeParse(doc);
  if (!top.success) {
    for (const issue of issuesFromZod(themisConfigSchema, top.error)) {
      // A backend config file ({ type, ...options }) used where a themis config is expected.
      if (issue.path === "type")
        issue.message += ': a themis config names its backends under "storage:" and "execution:" (a file with "type:" is a single backend config)';
      issues.push(issue);
    }
  }
  const project = typeof doc.project === "string" ? doc.project : undefined;
  if (project !== undefined) {
    try {
      validateName("project", project);
    } catch (error) {
      issues.push({ path: "project", message: (error as Error).message.replace(/^\[themis\] /, "") });
    }
  }
  const backends = top.success ? (top.data.backends ?? {}) : {};
  let registry = options.registry;
  if (!registry) {
    registry = new Registry({ cwd: dir, ...(backends.allow ? { allow: backends.allow } : {}), ...(backends.skip ? { skip: backends.skip } : {}) });
    if (backends.allow) {
      // Names in "allow" that match nothing installed are most likely typos.
      const installed = (await new Registry({ cwd: dir }).list()).map((b) => b.name);
      backends.allow.forEach((name, i) => {
        if (installed.includes(name)) return;
        const hint = didYouMean(name, installed);
        issues.push({ path: `backends.allow[${i}]`, message: `no installed backend named "${name}"${hint ? ` (did you mean "${hint}"?)` : ""}` });
      });
    }
  }
  const resolved: { storage?: ResolvedBackend<"storage">; execution?: ResolvedBackend<"execution"> } = {};
  for (const kind of ["storage", "execution"] as const satisfies readonly BackendKind[]) {
    if (doc[kind] === undefined) continue;
    const result = await resolveBackendSection(doc[kind], { kind, path: kind, registry, dir, file, fromEnv: env.fromEnv });
    issues.push(...result.issues);
    if (result.backend) (resolved as Record<string, unknown>)[kind] = result.backend;
  }
  if (issues.length > 0) throw failure("invalid themis config", file, issues);
  return {
    file,
    dir,
    project,
    storage: resolved.storage,
    execution: resolved.execution,
    backends,
    registry,
    secretValues: [...new Set([...(resolved.storage?.secretValues ?? []), ...(resolved.execution?.secretValues ?? [])])],
  };
}

/**
 * Validate a single backend config document, `{ type: "<name or URI>", ...options }` (what
 * `themis backends create` writes), against that backend's own schema.
 * `kind` restricts it to storage or execution backends. Throws {@link InvalidConfigFileError}.
 */
export async function resolveBackendConfig<K extends BackendKind>(
  raw: unknown,
  options: ResolveConfigOptions & { kind?: K } = {},
): Promise<ResolvedBackend<K>> {
  const file = options.file;
  const dir = options.dir ?? (file ? path.dirname(file) : process.cwd());
  const registry = options.registry ?? new Registry({ cwd: dir });
  const env = substituteEnv(raw, options.env ?? process.env);
  let kind = options.kind;
  if (!kind) {
    // Without a kind, the backend's own decides: look the name up among all kinds.
    const spec = typeof env.value === "object" && env.value !== null ? (env.value as { type?: unknown }).type : env.value;
    if (typeof spec === "string" && spec !== "") {
      const info = (await registry.list()).find((b) => b.name === spec);
      if (!info && !isUri(spec)) {
        // Unknown name: let the registry say so across every kind (did-you-mean, install hints).
        const error = await registry.get(spec).then(
          () => undefined,
          (e: unknown) => e as Error,
        );
        const path = typeof env.value === "object" ? "type" : "";
        throw failure("invalid backend config", file, [...env.issues, { path, message: String(error?.message).replace(/^\[themis\] /, "") }]);
      }
      kind = (info?.kind ?? "storage") as K;
    } else {
      kind = "storage" as K;
    }
  }
  const result = await resolveBackendSection(env.value, { kind, path: "", registry, dir, file, fromEnv: env.fromEnv });
  const issues = [...env.issues, ...result.issues];
  if (issues.length > 0 || !result.backend) throw failure("invalid backend config", file, issues);
  return result.backend;
}
