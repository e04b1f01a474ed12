import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectProvenance, gitCommit } from "../dist/experiment/provenance.js";

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
