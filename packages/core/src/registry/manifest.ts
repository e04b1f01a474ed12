import { existsSync, readFileSync, realpathSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { BACKEND_KINDS, type BackendKind } from "../definition.js";
import type { Diagnostic } from "./diagnostic.js";

/** One backend a package declares in its package.json `themisBackends` field. */
export interface ManifestEntry {
  name: string;
  kind: BackendKind;
  packageName: string;
  packageVersion: string | undefined;
  packageDir: string;
  /** Absolute path of the entry module (not imported until the backend is used). */
  entryPath: string;
  /** URI schemes, when the manifest lists them (so URIs resolve without importing code). */
  schemes?: string[];
}

interface PackageJson {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  themisBackends?: unknown;
}

function readJson(file: string): PackageJson {
  return JSON.parse(readFileSync(file, "utf8")) as PackageJson;
}

/** The folder of the nearest package.json at or above `dir`, or undefined. */
export function findHostPackageDir(dir: string): string | undefined {
  let current = path.resolve(dir);
  for (;;) {
    if (existsSync(path.join(current, "package.json"))) return current;
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/**
 * Find `<name>/package.json` as Node would from `hostDir`. Tries the package's exported
 * `./package.json` first, then walks up the `node_modules` folders (packages that do not
 * export `./package.json`, pnpm's symlinked layout).
 */
export function resolvePackageJson(hostDir: string, name: string): string | undefined {
  try {
    return realpathSync(createRequire(path.join(hostDir, "package.json")).resolve(`${name}/package.json`));
  } catch {
    // Not exported, or an ESM-only package: fall back to the node_modules walk.
  }
  let current = hostDir;
  for (;;) {
    const candidate = path.join(current, "node_modules", name, "package.json");
    if (existsSync(candidate)) return realpathSync(candidate);
    const parent = path.dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/** Parse one package's `themisBackends` field; problems become diagnostics. */
export function readManifest(packageJsonPath: string, diagnostics: Diagnostic[]): ManifestEntry[] {
  const packageDir = path.dirname(packageJsonPath);
  let pkg: PackageJson;
  try {
    pkg = readJson(packageJsonPath);
  } catch (cause) {
    diagnostics.push({ package: path.basename(packageDir), path: packageJsonPath, phase: "manifest", message: "package.json cannot be read as JSON", cause });
    return [];
  }
  const field = pkg.themisBackends;
  if (field === undefined) return [];
  const packageName = pkg.name ?? path.basename(packageDir);
  const base = { package: packageName, version: pkg.version, path: packageJsonPath, phase: "manifest" as const };
  if (typeof field !== "object" || field === null || Array.isArray(field)) {
    diagnostics.push({
      ...base,
      message: 'themisBackends must be an object: { "<name>": { "kind": "storage" | "execution" | "postprocess", "entry": "./dist/index.js" } }',
    });
    return [];
  }
  const entries: ManifestEntry[] = [];
  for (const [name, raw] of Object.entries(field as Record<string, unknown>)) {
    const spec = raw as { kind?: unknown; entry?: unknown; schemes?: unknown } | null;
    if (!spec || typeof spec !== "object") {
      diagnostics.push({ ...base, backend: name, message: `themisBackends["${name}"] must be an object with "kind" and "entry"` });
      continue;
    }
    const kind = spec.kind as BackendKind;
    if (!BACKEND_KINDS.includes(kind)) {
      const kinds = BACKEND_KINDS.map((k) => `"${k}"`).join(", ");
      diagnostics.push({ ...base, backend: name, message: `themisBackends["${name}"].kind must be one of ${kinds}, got ${JSON.stringify(spec.kind)}` });
      continue;
    }
    if (typeof spec.entry !== "string" || spec.entry.length === 0) {
      diagnostics.push({ ...base, backend: name, kind, message: `themisBackends["${name}"].entry must be a relative path such as "./dist/index.js"` });
      continue;
    }
    const entryPath = path.resolve(packageDir, spec.entry);
    if (path.relative(packageDir, entryPath).startsWith("..") || path.isAbsolute(spec.entry)) {
      diagnostics.push({
        ...base,
        backend: name,
        kind,
        message: `themisBackends["${name}"].entry must stay inside the package, got ${JSON.stringify(spec.entry)}`,
      });
      continue;
    }
    const schemes = Array.isArray(spec.schemes) ? spec.schemes.filter((x): x is string => typeof x === "string") : undefined;
    entries.push({ name, kind, packageName, packageVersion: pkg.version, packageDir, entryPath, ...(schemes ? { schemes } : {}) });
  }
  return entries;
}

/**
 * Read the manifests of every dependency of the host application (dependencies,
 * devDependencies, optionalDependencies) and of the host package itself, without
 * importing any code.
 */
export function discoverManifests(hostDir: string): { entries: ManifestEntry[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const entries: ManifestEntry[] = [];
  const hostJson = path.join(hostDir, "package.json");
  let host: PackageJson;
  try {
    host = readJson(hostJson);
  } catch (cause) {
    diagnostics.push({ package: path.basename(hostDir), path: hostJson, phase: "manifest", message: "the application's package.json cannot be read", cause });
    return { entries, diagnostics };
  }
  entries.push(...readManifest(hostJson, diagnostics));
  const names = new Set([...Object.keys(host.dependencies ?? {}), ...Object.keys(host.devDependencies ?? {}), ...Object.keys(host.optionalDependencies ?? {})]);
  for (const name of [...names].sort()) {
    const pkgJson = resolvePackageJson(hostDir, name);
    if (!pkgJson) continue; // Not installed (e.g. an optional dependency): nothing to discover.
    entries.push(...readManifest(pkgJson, diagnostics));
  }
  return { entries, diagnostics };
}
