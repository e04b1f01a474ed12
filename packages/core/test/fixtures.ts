import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const coreDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** One fixture package: its package.json fields and files. */
export interface FixturePackage {
  name: string;
  version?: string;
  exportsPackageJson?: boolean;
  themisBackends?: unknown;
  files?: Record<string, string>;
  rawPackageJson?: string;
}

/**
 * A host application in a temp folder with real installed packages, laid out like npm
 * (flat node_modules) or pnpm (packages in node_modules/.pnpm, symlinked).
 */
export function makeApp(layout: "npm" | "pnpm", packages: FixturePackage[], extraDeps: string[] = []): string {
  const app = realpathSync(mkdtempSync(path.join(tmpdir(), `themis-registry-${layout}-`)));
  const deps = Object.fromEntries([...packages.map((p) => [p.name, p.version ?? "1.0.0"]), ...extraDeps.map((d) => [d, "1.0.0"])]);
  writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "host-app", version: "1.0.0", type: "module", dependencies: deps }));
  const link = (target: string, at: string): void => {
    mkdirSync(path.dirname(at), { recursive: true });
    symlinkSync(target, at, "dir");
  };
  link(coreDir, path.join(app, "node_modules", "@themis", "core"));
  for (const p of packages) {
    const version = p.version ?? "1.0.0";
    const dir =
      layout === "npm"
        ? path.join(app, "node_modules", p.name)
        : path.join(app, "node_modules", ".pnpm", `${p.name.replace("/", "+")}@${version}`, "node_modules", p.name);
    mkdirSync(dir, { recursive: true });
    const pkg = {
      name: p.name,
      version,
      type: "module",
      exports: p.exportsPackageJson === false ? { ".": "./index.js" } : { ".": "./index.js", "./package.json": "./package.json" },
      ...(p.themisBackends === undefined ? {} : { themisBackends: p.themisBackends }),
    };
    writeFileSync(path.join(dir, "package.json"), p.rawPackageJson ?? JSON.stringify(pkg, null, 2));
    for (const [file, text] of Object.entries(p.files ?? {})) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    if (layout === "pnpm") {
      // pnpm links a package's peers next to it, and the package itself into the app.
      link(coreDir, path.join(dir, "..", "@themis", "core"));
      link(dir, path.join(app, "node_modules", p.name));
    }
  }
  return app;
}

/** A storage backend module that records when it is imported, delegating to memory. */
export function memoryBackendModule(name: string, options: { contractVersion?: number; schemes?: string[] } = {}): string {
  return `
import { defineStorageBackend, memoryBackend, memoryConfigSchema } from "@themis/core";
globalThis.__themisFixtureLoads = (globalThis.__themisFixtureLoads ?? 0) + 1;
const base = defineStorageBackend({
  name: ${JSON.stringify(name)},
  description: "fixture backend",
  ${options.schemes ? `schemes: ${JSON.stringify(options.schemes)}, configFromUri: (url) => ({ namespace: url.hostname }),` : ""}
  configSchema: memoryConfigSchema,
  create: (config) => memoryBackend.create(config),
});
export default ${options.contractVersion ? `{ ...base, contractVersion: ${options.contractVersion} }` : "base"};
`;
}
