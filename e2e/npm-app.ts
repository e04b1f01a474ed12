import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type CommandResult, runCommand, runOrThrow } from "../scripts/run-command.ts";
import { userEnv } from "../scripts/user-env.ts";
import { repoRoot } from "../scripts/workspace-packages.ts";

/**
 * An application in an empty folder outside the workspace, set up with `npm init -y` and
 * changed only through npm, as a user would.
 */
export class NpmApp {
  readonly dir: string;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * `npm init -y` in a new folder under `parent`. `overrides` maps package names to tarballs
   * for packages the app gets only as dependencies of what it installs (e.g. @themis/csv-codec):
   * npm takes them from the tarball instead of the registry, where this build is not published.
   */
  static async create(parent: string, overrides: Record<string, string>): Promise<NpmApp> {
    const dir = realpathSync(mkdtempSync(path.join(parent, "app-")));
    if (!path.relative(repoRoot, dir).startsWith("..")) throw new Error(`${dir} is inside the workspace: node would resolve the workspace's packages`);
    const app = new NpmApp(dir);
    await app.npm("init", "-y");
    const manifest = app.manifest();
    if (Object.keys(overrides).length > 0)
      manifest.overrides = Object.fromEntries(Object.entries(overrides).map(([name, tarball]) => [name, `file:${tarball}`]));
    writeFileSync(path.join(dir, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    return app;
  }

  /** The app's package.json. */
  manifest(): Record<string, unknown> {
    return JSON.parse(readFileSync(path.join(this.dir, "package.json"), "utf8")) as Record<string, unknown>;
  }

  /** Run npm in the app; throws with npm's output when it fails. */
  npm(...args: string[]): Promise<CommandResult> {
    return runOrThrow("npm", args, { cwd: this.dir, env: userEnv() });
  }

  /** `npm install` tarballs, preferring npm's cache for registry packages. */
  install(...tarballs: string[]): Promise<CommandResult> {
    return this.npm("install", "--prefer-offline", ...tarballs);
  }

  /** Run `npx --no <command>` (never downloads: the command must be installed). */
  npx(...args: string[]): Promise<CommandResult> {
    return runCommand("npx", ["--no", ...args], { cwd: this.dir, env: userEnv() });
  }

  /**
   * Write `source` as an ES module in the app and run it with node; returns what its last
   * line of output holds, parsed as JSON.
   */
  async runScript<T>(name: string, source: string): Promise<T> {
    const file = path.join(this.dir, `${name}.mjs`);
    writeFileSync(file, source);
    const { stdout } = await runOrThrow(process.execPath, [file], { cwd: this.dir, env: userEnv() });
    const last = stdout.trim().split("\n").at(-1) ?? "";
    return JSON.parse(last) as T;
  }
}
