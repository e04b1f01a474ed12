import { execFile } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import type { ExecutionBackend, ExecutorDescription } from "../execution/contract.js";
import type { JsonValue } from "../rows.js";
import { describeExecutor } from "./executor-info.js";

/** Where and with what a run ran: recorded with every experiment run. */
export interface Provenance {
  [key: string]: JsonValue;
  node: string;
  platform: string;
  arch: string;
  /** Package name to version: @themis/core and the packages of the backends used. */
  packages: { [name: string]: string };
  /** Commit of the git checkout around the working directory, when there is one. */
  gitCommit: string | null;
  /** Whether tracked files differ from that commit (null when git cannot tell). */
  gitDirty: boolean | null;
  host: string;
  cwd: string;
  /** The executor's config with secret fields redacted (null when the executor was passed as an instance). */
  executorConfig: JsonValue;
  /**
   * What the executor said about itself through its optional `describe()` (for `docker`: the
   * image, its digest or id, the engine version); null when it has none or it failed.
   */
  executorInfo: ExecutorDescription | null;
}

let coreVersion: Promise<string> | undefined;

/** The version of this @themis/core (read from its package.json). */
export function themisCoreVersion(): Promise<string> {
  coreVersion ??= readFile(new URL("../../package.json", import.meta.url), "utf8")
    .then((text) => String((JSON.parse(text) as { version?: unknown }).version ?? "unknown"))
    .catch(() => "unknown");
  return coreVersion;
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/**
 * The commit checked out in the git repository containing `from`, read from `.git` files
 * (no git binary needed): HEAD, then the ref it names, loose or packed. Null outside a
 * repository or when anything is unreadable.
 */
export async function gitCommit(from: string = process.cwd()): Promise<string | null> {
  try {
    let dir = path.resolve(from);
    for (;;) {
      const dotGit = path.join(dir, ".git");
      if (await exists(dotGit)) {
        let gitDir = dotGit;
        const info = await stat(dotGit);
        if (info.isFile()) {
          // Worktrees and submodules: ".git" is a file "gitdir: <path>".
          const m = /^gitdir:\s*(.+)$/m.exec(await readFile(dotGit, "utf8"));
          if (!m) return null;
          gitDir = path.resolve(dir, m[1]!.trim());
        }
        const head = (await readFile(path.join(gitDir, "HEAD"), "utf8")).trim();
        if (/^[0-9a-f]{40,64}$/.test(head)) return head;
        const ref = /^ref:\s*(.+)$/.exec(head)?.[1];
        if (!ref) return null;
        // Linked worktrees keep shared refs in the common dir.
        const commonFile = path.join(gitDir, "commondir");
        const common = (await exists(commonFile)) ? path.resolve(gitDir, (await readFile(commonFile, "utf8")).trim()) : gitDir;
        for (const base of [gitDir, common]) {
          const loose = path.join(base, ref);
          if (await exists(loose)) return (await readFile(loose, "utf8")).trim();
        }
        const packed = path.join(common, "packed-refs");
        if (await exists(packed)) {
          for (const line of (await readFile(packed, "utf8")).split("\n")) {
            const [sha, name] = line.trim().split(" ");
            if (name === ref && sha) return sha;
          }
        }
        return null;
      }
      const parent = path.dirname(dir);
      if (parent === dir) return null;
      dir = parent;
    }
  } catch {
    return null;
  }
}

/**
 * Whether the git checkout around `from` has uncommitted changes to tracked files, asking
 * the git binary (2 s at most). Null without git, outside a repository, or on any failure.
 * `--no-optional-locks`: a plain `git status` refreshes the index and writes it back under
 * `.git/index.lock`, and a `git commit` or `git add` the user runs meanwhile would then fail
 * on that lock; a run only reads.
 */
export function gitDirty(from: string = process.cwd()): Promise<boolean | null> {
  return new Promise((resolve) => {
    execFile(
      "git",
      ["--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
      { cwd: from, timeout: 2000, windowsHide: true },
      (error, stdout) => {
        resolve(error ? null : stdout.trim().length > 0);
      },
    );
  });
}

/**
 * Collect provenance. `packages` adds versions the caller knows (backend packages);
 * `executorConfig` must already be redacted (see `redactConfig`); `executor`, when given,
 * is asked to `describe()` itself (see `describeExecutor`: a failure records null).
 */
export async function collectProvenance(
  packages: Record<string, string> = {},
  executorConfig: JsonValue = null,
  executor?: ExecutionBackend,
): Promise<Provenance> {
  const commit = gitCommit();
  // Outside a repository (a container image, a copied folder) no git process is started.
  const dirty = commit.then((found) => (found === null ? null : gitDirty()));
  const [gitCommitFound, gitDirtyFound, executorInfo] = await Promise.all([commit, dirty, describeExecutor(executor)]);
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    packages: { "@themis/core": await themisCoreVersion(), ...packages },
    gitCommit: gitCommitFound,
    gitDirty: gitDirtyFound,
    host: hostname(),
    cwd: process.cwd(),
    executorConfig,
    executorInfo,
  };
}
