import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync, appendFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import pLimit from "p-limit";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { runCommand, runOrThrow, type CommandResult } from "../../scripts/run-command.ts";
import { packPackages } from "../../scripts/pack-packages.ts";
import { repoRoot, workspacePackages } from "../../scripts/workspace-packages.ts";

// The release flow, rehearsed on a throwaway copy of the working tree (with its pending
// changesets): `changeset status` plans, `changeset version` bumps versions and writes
// changelogs, publishing is a dry run against a registry address where nothing listens.
const { work } = inject("e2e");

const changesetBin = path.join(path.dirname(createRequire(path.join(repoRoot, "package.json")).resolve("@changesets/cli/package.json")), "bin.js");

/** Nothing listens there: any attempt to reach a registry fails the command. */
const NO_REGISTRY = "http://127.0.0.1:9/";

interface ReleasePlan {
  changesets: { id: string; summary: string; releases: { name: string; type: string }[] }[];
  releases: { name: string; type: string; oldVersion: string; newVersion: string; changesets: string[] }[];
}

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

describe("release flow on a throwaway copy of the repository", () => {
  const copy = path.join(work, "repo");
  let plan: ReleasePlan;
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: "1" };
  const git = (...args: string[]): Promise<CommandResult> =>
    runOrThrow("git", ["-c", "user.name=themis-e2e", "-c", "user.email=e2e@example.invalid", "-c", "commit.gpgsign=false", ...args], { cwd: copy, env });
  const changeset = (...args: string[]): Promise<CommandResult> => runCommand(process.execPath, [changesetBin, ...args], { cwd: copy, env });
  const manifestAt = (dir: string): Manifest => JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as Manifest;
  /** Package folder in the copy, by package name. */
  const dirs = new Map<string, string>();

  beforeAll(async () => {
    // The working tree as git sees it (tracked and new files, minus ignored ones), plus the
    // built dist/ folders the dry-run publish packs.
    const { stdout } = await runOrThrow("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], { cwd: repoRoot });
    for (const file of stdout.split("\0").filter(Boolean)) {
      const from = path.join(repoRoot, file);
      if (!existsSync(from)) continue; // Deleted in the working tree.
      mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
      cpSync(from, path.join(copy, file));
    }
    for (const pkg of await workspacePackages(copy)) {
      dirs.set(pkg.name, pkg.dir);
      const dist = path.join(repoRoot, path.relative(copy, pkg.dir), "dist");
      if (existsSync(dist)) cpSync(dist, path.join(pkg.dir, "dist"), { recursive: true });
    }
    await git("init", "-q", "-b", "main");
    await git("add", "-A");
    await git("commit", "-q", "-m", "base");
  });

  it("`changeset status` plans a release from the pending changesets", async () => {
    let status = await changeset("status", "--output", "plan.json");
    expect(status.code, status.stderr).toBe(0);
    plan = JSON.parse(readFileSync(path.join(copy, "plan.json"), "utf8")) as ReleasePlan;
    if (plan.releases.length === 0) {
      // Nothing pending (just after a release): rehearse with a changeset of our own.
      writeFileSync(path.join(copy, ".changeset", "e2e-rehearsal.md"), '---\n"@themis/core": patch\n---\n\nRelease rehearsal.\n');
      status = await changeset("status", "--output", "plan.json");
      expect(status.code, status.stderr).toBe(0);
      plan = JSON.parse(readFileSync(path.join(copy, "plan.json"), "utf8")) as ReleasePlan;
    }
    expect(plan.releases.length).toBeGreaterThan(0);
    for (const release of plan.releases) expect(dirs.has(release.name), `${release.name} is a workspace package`).toBe(true);
    // Every package a changeset names is in the plan.
    const planned = new Set(plan.releases.map((r) => r.name));
    for (const c of plan.changesets) for (const r of c.releases) if (r.type !== "none") expect(planned.has(r.name), `${c.id}: ${r.name}`).toBe(true);
  });

  it("`changeset version` bumps versions, writes CHANGELOGs and consumes the changesets", async () => {
    const before = new Map([...dirs].map(([name, dir]) => [name, manifestAt(dir)]));
    const result = await changeset("version");
    expect(result.code, result.stderr).toBe(0);
    for (const release of plan.releases.filter((r) => r.type !== "none")) {
      const dir = dirs.get(release.name)!;
      expect(manifestAt(dir).version, release.name).toBe(release.newVersion);
      const changelog = readFileSync(path.join(dir, "CHANGELOG.md"), "utf8");
      expect(changelog).toContain(`## ${release.newVersion}`);
      for (const id of release.changesets) {
        const summary = plan.changesets.find((c) => c.id === id)!.summary.split("\n")[0]!;
        expect(changelog, `${release.name} changelog has "${summary}"`).toContain(summary);
      }
    }
    // Packages without a release keep their version; workspace ranges stay workspace ranges.
    for (const [name, dir] of dirs) {
      const after = manifestAt(dir);
      if (!plan.releases.some((r) => r.name === name && r.type !== "none")) expect(after.version, name).toBe(before.get(name)!.version);
      for (const field of ["dependencies", "peerDependencies", "devDependencies"] as const) {
        for (const [dep, range] of Object.entries(after[field] ?? {})) if (dirs.has(dep)) expect(range, `${name} ${field}.${dep}`).toMatch(/^workspace:/);
      }
    }
    expect(readdirSync(path.join(copy, ".changeset")).filter((f) => f.endsWith(".md") && f !== "README.md")).toEqual([]);
  });

  it("a dry-run publish of every released package reaches no registry, and its manifest pins the new versions", async () => {
    const released = plan.releases.filter((r) => r.type !== "none" && !manifestAt(dirs.get(r.name)!).private);
    expect(released.length).toBeGreaterThan(0);
    const newVersion = (name: string): string => manifestAt(dirs.get(name)!).version;
    const limit = pLimit(2);
    await Promise.all(
      released.map((release) =>
        limit(async () => {
          const publish = await runCommand("pnpm", ["publish", "--dry-run", "--no-git-checks", "--access", "public", "--registry", NO_REGISTRY], {
            cwd: dirs.get(release.name)!,
            env,
          });
          expect(publish.code, `${release.name}: ${publish.stdout}${publish.stderr}`).toBe(0);
          expect(publish.stdout + publish.stderr).toContain(NO_REGISTRY); // The address it would have used.
        }),
      ),
    );
    // What would be uploaded: workspace ranges replaced by the versions just released.
    const copied = await workspacePackages(copy);
    const packed = await packPackages(
      copied.filter((p) => released.some((r) => r.name === p.name)),
      path.join(work, "release-tarballs"),
      copy,
    );
    for (const { name, tarball } of packed) {
      const manifest = JSON.parse((await runOrThrow("tar", ["-xzOf", tarball, "package/package.json"], { cwd: work })).stdout) as Manifest;
      expect(manifest.version, name).toBe(plan.releases.find((r) => r.name === name)!.newVersion);
      for (const field of ["dependencies", "peerDependencies"] as const) {
        for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
          if (dirs.has(dep)) expect(range, `${name} ${field}.${dep}`).toMatch(new RegExp(`^[\\^~]?${newVersion(dep).replaceAll(".", "\\.")}$`));
        }
      }
    }
  });

  it("`changeset status` fails for a package change that has no changeset, and passes once one is added", async () => {
    await git("add", "-A");
    await git("commit", "-q", "-m", "release");
    await git("checkout", "-q", "-b", "feature");
    const coreDir = dirs.get("@themis/core")!;
    appendFileSync(path.join(coreDir, "src", "index.ts"), "\n// a change\n");
    await git("commit", "-q", "-am", "change core");
    expect((await changeset("status")).code).not.toBe(0);

    writeFileSync(path.join(copy, ".changeset", "e2e-core-change.md"), '---\n"@themis/core": patch\n---\n\nA change.\n');
    await git("add", "-A");
    await git("commit", "-q", "-m", "changeset");
    const status = await changeset("status", "--output", "plan-feature.json");
    expect(status.code, status.stderr).toBe(0);
    const featurePlan = JSON.parse(readFileSync(path.join(copy, "plan-feature.json"), "utf8")) as ReleasePlan;
    expect(featurePlan.releases.find((r) => r.name === "@themis/core")).toMatchObject({ type: "patch" });
  });
});

describe("lerna runs tasks across the workspace", () => {
  it("`lerna list` shows every package under packages/ and examples/ (lerna runs scripts; changesets owns versions)", async () => {
    const lernaBin = path.join(repoRoot, "node_modules", "lerna", "dist", "cli.js");
    const listed = await runOrThrow(process.execPath, [lernaBin, "list", "--all", "--json", "--loglevel", "silent"], { cwd: repoRoot });
    const names = (JSON.parse(listed.stdout) as { name: string }[]).map((p) => p.name).sort();
    const expected = (await workspacePackages())
      .filter((p) => /^(packages|examples)\//.test(path.relative(repoRoot, p.dir).split(path.sep).join("/")))
      .map((p) => p.name)
      .sort();
    expect(expected).toContain("@themis/core");
    expect(names).toEqual(expected);
  });
});
