import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectProvenance, gitCommit, gitDirty } from "../dist/experiment/provenance.js";

const sha = (c: string): string => c.repeat(40);

describe("provenance: git commit read from .git files", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), "themis-git-"));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it("follows HEAD to a loose ref, from a subfolder", async () => {
    const repo = path.join(root, "loose");
    await mkdir(path.join(repo, ".git", "refs", "heads"), { recursive: true });
    await mkdir(path.join(repo, "src", "deep"), { recursive: true });
    await writeFile(path.join(repo, ".git", "HEAD"), "ref: refs/heads/main\n");
    await writeFile(path.join(repo, ".git", "refs", "heads", "main"), `${sha("a")}\n`);
    expect(await gitCommit(path.join(repo, "src", "deep"))).toBe(sha("a"));
  });

  it("reads packed refs and a detached HEAD", async () => {
    const repo = path.join(root, "packed");
    await mkdir(path.join(repo, ".git"), { recursive: true });
    await writeFile(path.join(repo, ".git", "HEAD"), "ref: refs/heads/dev\n");
    await writeFile(
      path.join(repo, ".git", "packed-refs"),
      `# pack-refs with: peeled fully-peeled sorted\n${sha("b")} refs/heads/dev\n${sha("c")} refs/tags/v1\n`,
    );
    expect(await gitCommit(repo)).toBe(sha("b"));
    await writeFile(path.join(repo, ".git", "HEAD"), `${sha("d")}\n`);
    expect(await gitCommit(repo)).toBe(sha("d"));
  });

  it("follows a worktree's .git file to its gitdir and common dir", async () => {
    const main = path.join(root, "main-repo");
    const wt = path.join(root, "worktree");
    const gitdir = path.join(main, ".git", "worktrees", "wt");
    await mkdir(path.join(main, ".git", "refs", "heads"), { recursive: true });
    await mkdir(gitdir, { recursive: true });
    await mkdir(wt, { recursive: true });
    await writeFile(path.join(main, ".git", "refs", "heads", "feature"), `${sha("e")}\n`);
    await writeFile(path.join(gitdir, "HEAD"), "ref: refs/heads/feature\n");
    await writeFile(path.join(gitdir, "commondir"), "../..\n");
    await writeFile(path.join(wt, ".git"), `gitdir: ${gitdir}\n`);
    expect(await gitCommit(wt)).toBe(sha("e"));
  });

  it("is null outside a repository or when HEAD names a missing ref", async () => {
    const repo = path.join(root, "broken");
    await mkdir(path.join(repo, ".git"), { recursive: true });
    await writeFile(path.join(repo, ".git", "HEAD"), "ref: refs/heads/gone\n");
    expect(await gitCommit(repo)).toBeNull();
    expect(await gitCommit("/")).toBeNull();
  });

  it("collects node, platform, core version and extra package versions", async () => {
    const p = await collectProvenance({ "@themis/backend-x": "1.2.3" });
    expect(p).toMatchObject({ node: process.version, platform: process.platform, arch: process.arch, packages: { "@themis/backend-x": "1.2.3" } });
    expect(p.packages["@themis/core"]).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe("provenance: the git binary's view of the checkout", () => {
  let repo: string;
  const git = (...args: string[]) => execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: repo, encoding: "utf8" });
  beforeAll(async () => {
    repo = await mkdtemp(path.join(tmpdir(), "themis-git-dirty-"));
    git("init", "-q");
    await writeFile(path.join(repo, "task.ts"), "export const v = 1;\n");
    git("add", "task.ts");
    git("commit", "-qm", "first");
  });
  afterAll(() => rm(repo, { recursive: true, force: true }));

  it("tells clean from dirty, and never writes the index (a user's git command at the same time would fail on its lock)", async () => {
    // Same content, newer mtime: the index's stat data is stale, which a plain `git status` refreshes and writes back.
    const later = new Date(Date.now() + 5000);
    await utimes(path.join(repo, "task.ts"), later, later);
    const index = path.join(repo, ".git", "index");
    const [before, bytes] = [await stat(index), await readFile(index)];
    expect(await gitDirty(repo)).toBe(false);
    const after = await stat(index);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(await readFile(index)).toEqual(bytes);
    await writeFile(path.join(repo, "task.ts"), "export const v = 2;\n");
    expect(await gitDirty(repo)).toBe(true);
  });

  it("is not asked outside a repository: no git process per run there", async () => {
    const outside = await mkdtemp(path.join(tmpdir(), "themis-no-git-"));
    try {
      // A git on PATH that leaves a mark each time it is started (and reports a clean checkout).
      const bin = path.join(outside, "bin");
      await mkdir(bin);
      await writeFile(path.join(bin, "git"), `#!/bin/sh\necho started >> "${path.join(outside, "marks")}"\n`, { mode: 0o755 });
      const provenanceModule = new URL("../dist/experiment/provenance.js", import.meta.url).href;
      const collect = (cwd: string) =>
        JSON.parse(
          execFileSync(
            process.execPath,
            [
              "--input-type=module",
              "-e",
              `const m = await import(${JSON.stringify(provenanceModule)}); const p = await m.collectProvenance(); console.log(JSON.stringify([p.gitCommit, p.gitDirty]));`,
            ],
            {
              cwd,
              env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` },
              encoding: "utf8",
            },
          ),
        ) as [string | null, boolean | null];
      const marks = () => readFile(path.join(outside, "marks"), "utf8").catch(() => "");
      expect(await collect(outside)).toEqual([null, null]);
      expect(await marks()).toBe("");
      // Inside a repository the same git is asked (so the check above can fail).
      expect((await collect(repo))[1]).toBe(false);
      expect(await marks()).toBe("started\n");
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it("is null outside a repository", async () => {
    const outside = await mkdtemp(path.join(tmpdir(), "themis-no-git-"));
    try {
      expect(await gitDirty(outside)).toBeNull();
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });
});
