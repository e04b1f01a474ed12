import path from "node:path";
import type { TarballContents } from "./inspect-tarball.ts";

const DEPENDENCY_FIELDS = ["dependencies", "peerDependencies", "optionalDependencies", "devDependencies"] as const;

/** Ranges that only mean something inside this repository; npm users could not install them. */
const LOCAL_RANGE = /^(workspace|catalog|link|file|portal):/;

/** Test code, test data and test config: never published. */
const TEST_FILE =
  /(^|\/)(test|tests|__tests__|__mocks__|fixtures?)\/|\.(test|spec|bench)\.[cm]?[jt]sx?(\.map)?$|\.(test|spec)\.d\.[cm]?ts(\.map)?$|(^|\/)vitest\.(config|workspace)\./;

/** Where another package's files would show up if a build or `files` pattern reached outside the package. */
const FOREIGN_FILE = /(^|\/)(node_modules|packages)\//;

/** Build leftovers and local files that have no business in a tarball. */
const LEFTOVER = /\.tsbuildinfo$|(^|\/)\.env(\..*)?$|\.tgz$|(^|\/)\.DS_Store$/;

/** Every string leaf of an `exports` map (the files it points to). */
function exportTargets(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (value && typeof value === "object") return Object.values(value).flatMap(exportTargets);
  return [];
}

/** "./dist/index.js" → "dist/index.js" */
const normalize = (file: string): string => path.posix.normalize(file).replace(/^\.\//, "");

/**
 * Everything wrong with a packed package, as readable lines; empty when it is fit to publish.
 * `published` is false for a package that is packed but never published (the third-party
 * example): then the publish-only fields are not required. `internalPackages` maps the name of
 * every workspace package to whether it is published, so dependencies on private ones show.
 */
export function tarballProblems(contents: TarballContents, published: boolean, internalPackages: ReadonlyMap<string, boolean>): string[] {
  const problems: string[] = [];
  const { files, manifest } = contents;
  const has = new Set(files);

  // Contents: only the package's own build output, docs and sources.
  for (const file of files) {
    if (TEST_FILE.test(file)) problems.push(`ships a test file: ${file}`);
    if (FOREIGN_FILE.test(file)) problems.push(`ships a file from outside the package: ${file}`);
    if (LEFTOVER.test(file)) problems.push(`ships a build leftover or local file: ${file}`);
  }
  if (!has.has("README.md")) problems.push("has no README.md");

  // Source maps must point at sources inside this tarball: not at another package, not at nothing.
  const missingSources = new Set<string>();
  for (const map of files.filter((f) => f.endsWith(".map"))) {
    let parsed: { sources?: unknown; sourceRoot?: unknown };
    try {
      parsed = JSON.parse(contents.read(map)) as typeof parsed;
    } catch {
      problems.push(`${map} is not valid JSON`);
      continue;
    }
    const root = typeof parsed.sourceRoot === "string" ? parsed.sourceRoot : "";
    for (const source of Array.isArray(parsed.sources) ? parsed.sources : []) {
      const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(map), root, String(source)));
      if (resolved.startsWith("../") || !has.has(resolved)) missingSources.add(resolved);
    }
  }
  if (missingSources.size > 0) {
    const listed = [...missingSources].sort();
    problems.push(
      `source maps point at ${listed.length} files that are not in the tarball (${listed.slice(0, 3).join(", ")}${listed.length > 3 ? ", ..." : ""}): ` +
        'publish the sources (add "src" to "files"), or rebuild from an empty dist/ if these are stale outputs of deleted sources',
    );
  }

  // Dependencies: real ranges only, and never on a workspace package that is not published.
  for (const field of DEPENDENCY_FIELDS) {
    const deps = (manifest[field] ?? {}) as Record<string, string>;
    for (const [name, range] of Object.entries(deps)) {
      if (LOCAL_RANGE.test(range)) problems.push(`${field}.${name} is "${range}": a local range npm users cannot install`);
      if (field !== "devDependencies" && internalPackages.get(name) === false)
        problems.push(`${field}.${name} is a private workspace package: it is never published`);
    }
  }

  // Metadata every package needs (DESIGN.md, package conventions).
  for (const field of ["name", "version", "description", "license"] as const) {
    if (typeof manifest[field] !== "string" || manifest[field] === "") problems.push(`package.json has no "${field}"`);
  }
  const repository = manifest.repository as { url?: unknown; directory?: unknown } | undefined;
  if (typeof repository?.url !== "string" || typeof repository.directory !== "string") problems.push('package.json "repository" needs "url" and "directory"');
  if (!Array.isArray(manifest.keywords) || manifest.keywords.length === 0) problems.push('package.json has no "keywords"');
  if (manifest.type !== "module") problems.push('package.json "type" is not "module" (ESM only)');
  if (typeof manifest.sideEffects !== "boolean" && !Array.isArray(manifest.sideEffects)) problems.push('package.json has no "sideEffects"');
  if (typeof (manifest.engines as { node?: unknown } | undefined)?.node !== "string") problems.push('package.json has no "engines.node"');
  if (!Array.isArray(manifest.files)) problems.push('package.json has no "files" allow-list');
  const exportsMap = manifest.exports as Record<string, unknown> | undefined;
  if (!exportsMap || typeof exportsMap !== "object") {
    problems.push('package.json has no "exports" map');
  } else {
    if (exportsMap["./package.json"] !== "./package.json") problems.push('"exports" does not export "./package.json"');
    const root = exportsMap["."];
    if (!root || typeof root !== "object" || Object.keys(root)[0] !== "types") problems.push('"exports"["."] must be an object with "types" first');
    for (const target of exportTargets(exportsMap))
      if (!has.has(normalize(target))) problems.push(`"exports" points at ${target}, which is not in the tarball`);
  }
  if (published && manifest.name.startsWith("@") && (manifest.publishConfig as { access?: unknown } | undefined)?.access !== "public") {
    problems.push('a scoped public package needs "publishConfig": { "access": "public" }');
  }

  // Executables exist and can run as commands.
  const bin = typeof manifest.bin === "string" ? { [manifest.name]: manifest.bin } : ((manifest.bin ?? {}) as Record<string, string>);
  for (const [command, file] of Object.entries(bin)) {
    if (!has.has(normalize(file))) problems.push(`bin "${command}" points at ${file}, which is not in the tarball`);
    else if (!contents.read(normalize(file)).startsWith("#!")) problems.push(`bin "${command}" (${file}) has no #! line`);
  }

  // Backend packages: the entries the registry imports exist, and core is a ^ peer (one core per app).
  const backends = (manifest.themisBackends ?? undefined) as Record<string, { entry?: unknown }> | undefined;
  if (backends) {
    for (const [name, spec] of Object.entries(backends)) {
      if (typeof spec?.entry !== "string" || !has.has(normalize(spec.entry))) problems.push(`themisBackends["${name}"].entry is not in the tarball`);
    }
    const peer = (manifest.peerDependencies as Record<string, string> | undefined)?.["@themis/core"];
    if (!peer?.startsWith("^")) problems.push('a backend package needs "@themis/core" as a "^" peer dependency');
    if ((manifest.dependencies as Record<string, string> | undefined)?.["@themis/core"])
      problems.push('"@themis/core" must not be a regular dependency of a backend (two cores in one app)');
  }
  return problems;
}
