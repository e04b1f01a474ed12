// Until the first release nothing is on the npm registry (`npm install @themis/core` is an
// E404). This installs this checkout's packages into an app instead, the way a release would
// deliver them: it builds what is stale, packs every package as `pnpm publish` would
// (`workspace:` ranges become versions) into <app>/themis-tarballs/, and `npm install`s the
// named ones there. Our packages that come only as dependencies (the CSV codec, a peer core)
// are pinned to their tarballs with npm `overrides`, so npm never asks the registry for them.
//
//   pnpm install-local <app-folder> [package...]
//   (default packages: @themis/core @themis/backend-local-csv @themis/cli)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ensureBuilt } from "./ensure-built.ts";
import { type PackedPackage, packPackages } from "./pack-packages.ts";
import { runOrThrow } from "./run-command.ts";
import { userEnv } from "./user-env.ts";
import { packagesToPack } from "./workspace-packages.ts";

/** What {@link installLocal} installs when no package is named. */
export const DEFAULT_PACKAGES = ["@themis/core", "@themis/backend-local-csv", "@themis/cli"];

/** Record `file:` overrides for our packages the app does not install by name. */
function pinDependencies(appDir: string, packed: readonly PackedPackage[], named: readonly string[], folder: string): void {
  const file = path.join(appDir, "package.json");
  const manifest = JSON.parse(readFileSync(file, "utf8")) as { overrides?: Record<string, string> };
  const pins = packed.filter((p) => !named.includes(p.name)).map((p) => [p.name, `file:./${folder}/${path.basename(p.tarball)}`]);
  manifest.overrides = { ...manifest.overrides, ...Object.fromEntries(pins) };
  writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * Build, pack and install `names` (and, through overrides, the packages of ours they
 * depend on) into the npm app in `appDir` (created with `npm init -y` when it has no
 * package.json). Returns the tarballs, kept in `<appDir>/themis-tarballs/`.
 */
export async function installLocal(appDir: string, names: readonly string[] = DEFAULT_PACKAGES): Promise<PackedPackage[]> {
  const all = await packagesToPack();
  const unknown = names.filter((n) => !all.some((p) => p.name === n));
  if (unknown.length > 0) throw new Error(`not a package of this workspace: ${unknown.join(", ")} (packages: ${all.map((p) => p.name).join(", ")})`);
  await ensureBuilt(all);
  const folder = "themis-tarballs";
  mkdirSync(path.join(appDir, folder), { recursive: true });
  const packed = await packPackages(all, path.join(appDir, folder));
  if (!existsSync(path.join(appDir, "package.json"))) await runOrThrow("npm", ["init", "-y"], { cwd: appDir, env: userEnv() });
  pinDependencies(appDir, packed, names, folder);
  const tarballs = names.map((n) => `./${folder}/${path.basename(packed.find((p) => p.name === n)!.tarball)}`);
  await runOrThrow("npm", ["install", ...tarballs], { cwd: appDir, env: userEnv() });
  return packed;
}

if (import.meta.main) {
  const [dir, ...names] = process.argv.slice(2);
  if (!dir) {
    console.error("usage: pnpm install-local <app-folder> [package...]");
    process.exit(2);
  }
  const appDir = path.resolve(process.env.INIT_CWD ?? process.cwd(), dir);
  mkdirSync(appDir, { recursive: true });
  await installLocal(appDir, names.length > 0 ? names : DEFAULT_PACKAGES);
  console.log(`installed ${(names.length > 0 ? names : DEFAULT_PACKAGES).join(", ")} into ${appDir} (tarballs in ${path.join(appDir, "themis-tarballs")})`);
}
