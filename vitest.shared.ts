// Settings every package's vitest project shares (imported by packages/*/vitest.config.ts).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL(".", import.meta.url));

/**
 * Test files run at once. Most of the suite waits (on servers, child processes, containers,
 * a SLURM time limit) rather than computes, so more files than a 2-core machine's cores.
 * Every project sets it: a project without its own value gets vitest's default (cores - 1,
 * so 1 here), and vitest then runs that project's files one at a time after everything else.
 * VITEST_MAX_WORKERS overrides it.
 */
export const MAX_WORKERS = 3;

/**
 * The time limit of a test in projects without slower needs of their own (servers, child
 * processes, containers set more): vitest's 5 s default is too tight on a loaded 2-core CI
 * machine, and a hang still fails.
 */
export const TEST_TIMEOUT_MS = 30_000;

type ExportTarget = string | { default?: string } | null;
/** A vite alias: an exact specifier and the file it loads. */
type Alias = { find: RegExp; replacement: string };

/**
 * Aliases that make `import "@themis/core"` (and every other workspace package and subpath)
 * load the package's TypeScript sources instead of its built `dist/`: a test sees the code as
 * it is now, not as it was at the last `pnpm build`. Computed from each package's `exports`
 * (`./dist/x.js` -> `./src/x.ts`), so a new package or subpath needs no change here.
 * Child processes (the CLI, workers, containers) still run the built code: `pnpm test` builds
 * first.
 */
export function workspaceSourceAliases(): Alias[] {
  const aliases: Alias[] = [];
  for (const group of ["packages", "examples"]) {
    for (const dir of readdirSync(join(ROOT, group))) {
      const manifestPath = join(ROOT, group, dir, "package.json");
      if (!existsSync(manifestPath)) continue;
      const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { name: string; exports?: Record<string, ExportTarget> };
      for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
        const built = typeof target === "string" ? target : target?.default;
        if (!built?.startsWith("./dist/") || !built.endsWith(".js")) continue;
        const source = join(ROOT, group, dir, `./src/${built.slice("./dist/".length, -".js".length)}.ts`);
        if (!existsSync(source)) continue;
        const specifier = subpath === "." ? manifest.name : `${manifest.name}/${subpath.slice(2)}`;
        aliases.push({ find: new RegExp(`^${specifier.replace(/[/.-]/g, "\\$&")}$`), replacement: source });
      }
    }
  }
  return aliases;
}
