import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, inject, it } from "vitest";
import { runCommand, runOrThrow } from "../../scripts/run-command.ts";
import { installLocal } from "../../scripts/install-local.ts";
import { userEnv } from "../../scripts/user-env.ts";

// The README's answer to "npm install @themis/core is an E404 before the first release":
// `pnpm install-local <app>` into an app made by `npm init -y` (a CommonJS app), then the
// README's TypeScript config and the CLI, exactly as a user would run them.
const { work } = inject("e2e");

const CONFIG_TS = `import type { ThemisConfigInput } from "@themis/core";

const config: ThemisConfigInput = { project: "my_project", storage: { type: "local/csv", rootDir: "./data" } };
export default config;
`;

describe("pnpm install-local", () => {
  it("installs core, local/csv and the CLI (internal dependencies from tarballs) into an npm app", async () => {
    const app = path.join(work, "install-local-app");
    mkdirSync(app);
    await runOrThrow("npm", ["init", "-y"], { cwd: app, env: userEnv() });
    await installLocal(app);

    const manifest = JSON.parse(readFileSync(path.join(app, "package.json"), "utf8")) as Record<string, Record<string, string>>;
    expect(Object.keys(manifest.dependencies!).sort()).toEqual(["@themis/backend-local-csv", "@themis/cli", "@themis/core"]);
    expect(manifest.overrides!["@themis/csv-codec"]).toMatch(/^file:\.\/themis-tarballs\/.*\.tgz$/);
    const lock = JSON.parse(readFileSync(path.join(app, "package-lock.json"), "utf8")) as { packages: Record<string, { resolved?: string }> };
    const ours = Object.entries(lock.packages).filter(([where]) => where.includes("node_modules/@themis/"));
    expect(ours.map(([where]) => where)).toContain("node_modules/@themis/csv-codec");
    for (const [where, entry] of ours) expect(entry.resolved, where).toMatch(/^file:.*\.tgz$/);

    // A themis.config.ts with ES module syntax in this CommonJS app; the CLI reads it.
    writeFileSync(path.join(app, "themis.config.ts"), CONFIG_TS);
    const config = await runCommand("npx", ["--no", "themis", "config", "--json"], { cwd: app, env: userEnv() });
    expect(config.code, config.stderr).toBe(0);
    expect(JSON.parse(config.stdout)).toMatchObject({ file: path.join(app, "themis.config.ts"), project: "my_project", storage: { type: "local/csv" } });
    const listed = await runCommand("npx", ["--no", "themis", "backends", "list", "--json"], { cwd: app, env: userEnv() });
    expect(listed.code, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as { backends: { name: string }[] }).backends.map((b) => b.name)).toContain("local/csv");
  });

  it("names a package that is not in the workspace", async () => {
    await expect(installLocal(path.join(work, "nowhere"), ["@themis/nope"])).rejects.toThrow(/not a package of this workspace: @themis\/nope/);
  });
});
