import { existsSync, statSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { JobFailedError, type ModuleJob, type RunContext } from "@themis/core";
import { MODULE_RUNNER_FILES, moduleRunnerJob, moduleRunnerSource, resolveModuleJob } from "@themis/core/backend";
import tar from "tar-stream";
import { listTree, packTree } from "./file-tree.js";
import { BACKEND_NAME } from "./labels.js";

/** Folder inside the container holding the runner, the job and its result. */
export const JOB_DIR = "/.themis";
export const RESULT_PATH = `${JOB_DIR}/${MODULE_RUNNER_FILES.result}`;
export const RUNNER_PATH = `${JOB_DIR}/${MODULE_RUNNER_FILES.runner}`;

/**
 * The runner copied into the container (`node /.themis/runner.mjs`): core's module runner,
 * reading the job beside itself. The result is read after the container exited, so it is
 * written in place. SIGTERM (the container being stopped) aborts the job's signal.
 */
const MODULE_RUNNER_SOURCE = moduleRunnerSource({ by: "@themis/backend-docker", jobDir: "beside-script" });

/** Where a module job's module comes from. */
export type ModuleLocation =
  /** A file on this machine: its folder (`mountRoot`) is mounted or copied, read-only, at the same path. */
  | { readonly where: "host"; readonly file: string; readonly mountRoot: string }
  /** Not on this machine: the image must contain it. */
  | { readonly where: "image"; readonly specifier: string };

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
  let file: string | undefined;
  try {
    file = resolveModuleJob(job, { backend: BACKEND_NAME }).file;
  } catch {
    file = undefined; // not resolvable here: looked up inside the image
  }
  if (file === undefined || !existsSync(file) || !statSync(file).isFile()) {
    // Relative paths have no meaning inside the image: send the absolute form when there is one.
    return { where: "image", specifier: file ?? job.module };
  }
  const mountRoot = options.moduleRoot ? path.resolve(options.moduleRoot) : (packageRoot(file) ?? path.dirname(file));
  // Mounting (or copying) the whole file system, or the whole home folder with its keys and
  // tokens, is never what anyone wants: a module directly in one of them needs a folder.
  // An explicit moduleRoot of the home folder is the user's own decision.
  const home = path.resolve(homedir());
  if (path.dirname(mountRoot) === mountRoot || (!options.moduleRoot && mountRoot === home)) {
    const where = mountRoot === home ? "your home folder" : mountRoot;
    throw new JobFailedError(
      `module ${file} sits directly in ${where}, which would go into the container whole: move it into a folder of its own, or set moduleRoot to one`,
      { backend: BACKEND_NAME },
    );
  }
  return { where: "host", file, mountRoot };
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
  const url = location.where === "host" ? pathToFileURL(location.file).href : location.specifier;
  const description = moduleRunnerJob({ url, exportName: job.export ?? "default", input: job.input ?? null }, context);
  const pack = tar.pack();
  const dir = JOB_DIR.slice(1);
  // World-writable: the job runs as an unprivileged user who must write result.json.
  pack.entry({ name: dir, type: "directory", mode: 0o777 });
  pack.entry({ name: `${dir}/${MODULE_RUNNER_FILES.runner}`, mode: 0o644 }, MODULE_RUNNER_SOURCE);
  pack.entry({ name: `${dir}/${MODULE_RUNNER_FILES.job}`, mode: 0o644 }, JSON.stringify(description));
  pack.finalize();
  return collect(pack);
}
