import { existsSync, statSync } from "node:fs";
import { JobFailedError } from "@themis/core";
import { homedir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { JobResult, ModuleJob, RunContext } from "@themis/core";
import { resolve as resolveSpecifier } from "import-meta-resolve";
import tar from "tar-stream";
import { listTree, packTree } from "./file-tree.js";
import { MODULE_RUNNER_SOURCE } from "./module-runner-source.js";

/** Folder inside the container holding the runner, the job and its result. */
export const JOB_DIR = "/.themis";
export const RESULT_PATH = `${JOB_DIR}/result.json`;
export const RUNNER_PATH = `${JOB_DIR}/runner.mjs`;

/** Where a module job's module comes from. */
export type ModuleLocation =
  /** A file on this machine: its folder (`mountRoot`) is mounted or copied, read-only, at the same path. */
  | { readonly where: "host"; readonly file: string; readonly mountRoot: string }
  /** Not on this machine: the image must contain it. */
  | { readonly where: "image"; readonly specifier: string };

function isPackageSpecifier(spec: string): boolean {
  return !spec.startsWith("file:") && !path.isAbsolute(spec) && !spec.startsWith("./") && !spec.startsWith("../");
}

/**
 * The URL relative specifiers resolve against, as in core's local executor: a `file:` URL
 * as it is (a file's URL resolves next to the file, a folder's needs its trailing "/"),
 * a path as a folder.
 */
function baseUrl(resolveFrom: string | undefined): string {
  const from = resolveFrom ?? process.cwd();
  if (from.startsWith("file:")) return from;
  return pathToFileURL(path.resolve(from) + path.sep).href;
}

/** The nearest folder above `file` holding a package.json, except the home folder and "/". */
function packageRoot(file: string): string | undefined {
  const home = homedir();
  let dir = path.dirname(file);
  for (;;) {
    if (dir === path.parse(dir).root || dir === home) return undefined;
    if (existsSync(path.join(dir, "package.json"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/**
 * Decide where a module job's module comes from. Paths, `file:` URLs and package
 * specifiers are resolved on this machine first (as the local executor does); when that
 * finds a file, the module's package folder (or `moduleRoot`) goes into the container at
 * the same path (mounted or copied, read-only), so its relative imports, `package.json`
 * "type" and error stacks all work unchanged. Otherwise the module is looked up inside the
 * image.
 */
export function locateModule(job: ModuleJob, options: { moduleRoot?: string | undefined }): ModuleLocation {
  const spec = job.module;
  let file: string | undefined;
  try {
    if (spec.startsWith("file:")) file = fileURLToPath(spec);
    else if (path.isAbsolute(spec)) file = spec;
    else if (!isPackageSpecifier(spec)) file = fileURLToPath(new URL(spec, baseUrl(job.resolveFrom)));
    else {
      const url = resolveSpecifier(spec, baseUrl(job.resolveFrom));
      if (url.startsWith("file:")) file = fileURLToPath(url);
    }
  } catch {
    file = undefined;
  }
  const onHost = file !== undefined && existsSync(file) && statSync(file).isFile();
  if (!onHost) {
    // Relative paths have no meaning inside the image: send the absolute form when there is one.
    return { where: "image", specifier: file ?? spec };
  }
  const mountRoot = options.moduleRoot ? path.resolve(options.moduleRoot) : (packageRoot(file!) ?? path.dirname(file!));
  // Mounting (or copying) the whole file system, or the whole home folder with its keys and
  // tokens, is never what anyone wants: a module directly in one of them needs a folder.
  // An explicit moduleRoot of the home folder is the user's own decision.
  const home = path.resolve(homedir());
  if (path.dirname(mountRoot) === mountRoot || (!options.moduleRoot && mountRoot === home)) {
    const where = mountRoot === home ? "your home folder" : mountRoot;
    throw new JobFailedError(`module ${file} sits directly in ${where}, which would go into the container whole: move it into a folder of its own, or set moduleRoot to one`, { backend: "docker" });
  }
  return { where: "host", file: file!, mountRoot };
}

/**
 * Why the container user cannot read a host module through its mount, or undefined when it
 * can (or cannot be told: user names are resolved inside the image). Catches the common
 * trap of a module in a private folder (mkdtemp makes them 0700) and a job user that is
 * not the folder's owner, which would otherwise surface as a bare "Cannot find module".
 */
export function unreadableReason(location: ModuleLocation, user: string): string | undefined {
  if (location.where !== "host") return undefined;
  const match = /^(\d+)(?::(\d+))?$/.exec(user);
  if (!match) return undefined;
  const uid = Number(match[1]);
  const gid = match[2] === undefined ? undefined : Number(match[2]);
  if (uid === 0) return undefined;
  const allowed = (p: string, need: number): boolean => {
    const st = statSync(p);
    const bits = st.uid === uid ? (st.mode >> 6) & 7 : st.gid === gid ? (st.mode >> 3) & 7 : st.mode & 7;
    return (bits & need) === need;
  };
  const chain: string[] = [];
  for (let dir = path.dirname(location.file); ; dir = path.dirname(dir)) {
    chain.unshift(dir);
    if (dir === location.mountRoot || dir === path.dirname(dir)) break;
  }
  for (const dir of chain) {
    if (!allowed(dir, 0o1)) return `folder ${dir} (mode ${(statSync(dir).mode & 0o777).toString(8)}) cannot be entered by user ${user}`;
  }
  if (!allowed(location.file, 0o4)) return `${location.file} (mode ${(statSync(location.file).mode & 0o777).toString(8)}) cannot be read by user ${user}`;
  return undefined;
}

/** Fail early when the job user cannot read the mounted module (see {@link unreadableReason}). */
export function assertReadable(location: ModuleLocation, user: string, backend: string): void {
  const reason = unreadableReason(location, user);
  if (reason) {
    throw new JobFailedError(`module jobs run as user ${user} inside the container, and ${reason}: make it readable (chmod o+rx) or set "user"`, { backend });
  }
}

/**
 * A tar archive of the module's folder at its own absolute path, with read-only modes (the
 * copy stands in for a read-only mount on engines that cannot see this machine's files).
 */
export async function moduleFolderArchive(mountRoot: string): Promise<Buffer> {
  const entries = await listTree(mountRoot);
  const pack = tar.pack();
  const collected = collect(pack);
  const prefix = mountRoot.replace(/^\/+/, "");
  pack.entry({ name: prefix, type: "directory", mode: 0o555 });
  await packTree(pack, entries, prefix, (entry) => (entry.type === "directory" || entry.mode & 0o111 ? 0o555 : 0o444));
  pack.finalize();
  return collected;
}

function collect(pack: tar.Pack): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    pack.on("data", (chunk: unknown) => chunks.push(chunk as Buffer));
    pack.on("end", () => resolve(Buffer.concat(chunks)));
    pack.on("error", reject);
  });
}

/** The archive unpacked at "/" before a module job's container starts: runner + job. */
export function moduleJobArchive(job: ModuleJob, location: ModuleLocation, context: RunContext): Promise<Buffer> {
  const description = {
    url: location.where === "host" ? pathToFileURL(location.file).href : location.specifier,
    exportName: job.export ?? "default",
    input: job.input ?? null,
    attempt: context.attempt,
    index: context.index,
  };
  const pack = tar.pack();
  const dir = JOB_DIR.slice(1);
  // World-writable: the job runs as an unprivileged user who must write result.json.
  pack.entry({ name: dir, type: "directory", mode: 0o777 });
  pack.entry({ name: `${dir}/runner.mjs`, mode: 0o644 }, MODULE_RUNNER_SOURCE);
  pack.entry({ name: `${dir}/job.json`, mode: 0o644 }, JSON.stringify(description));
  pack.finalize();
  return collect(pack);
}

/** The runner's result.json, or undefined when it is missing or not a result. */
export function parseModuleResult<T>(content: Buffer | undefined): JobResult<T> | undefined {
  if (content === undefined) return undefined;
  try {
    const parsed = JSON.parse(content.toString("utf8")) as { ok?: unknown };
    if (parsed && typeof parsed === "object" && typeof parsed.ok === "boolean") return parsed as JobResult<T>;
  } catch {
    // Torn or foreign file: treated as no result.
  }
  return undefined;
}
