import { createHash } from "node:crypto";
import { createReadStream, type Dirent } from "node:fs";
import { lstat, readFile, readdir, readlink } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import dockerIgnoreModule from "@balena/dockerignore";
import tar from "tar-stream";

/** Name the Dockerfile gets inside the context sent to the engine (it may live outside the context folder). */
export const CONTEXT_DOCKERFILE = ".themis.Dockerfile";

/** One entry of a build context, in the order it is hashed and sent. */
interface ContextEntry {
  /** Path relative to the context folder, "/"-separated. */
  readonly name: string;
  readonly absolute: string;
  readonly type: "file" | "directory" | "symlink";
  readonly mode: number;
  readonly size: number;
  readonly linkname?: string;
}

/** A Dockerfile build: what it needs and the hash that names its image. */
export interface BuildContext {
  readonly dockerfile: string;
  readonly contextDir: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  /** sha256 (hex) of the Dockerfile, the build args and every context file (names, modes, contents). */
  readonly contentHash: string;
  /** A tar stream of the context plus the Dockerfile, for the engine's /build. */
  tarStream(): Readable;
}

// Bump when what goes into the hash changes, so images built the old way are rebuilt.
const HASH_VERSION = "themis-docker-build-1";

async function listContext(contextDir: string): Promise<ContextEntry[]> {
  let ignore: ((relative: string) => boolean) | undefined;
  try {
    const rules = await readFile(path.join(contextDir, ".dockerignore"), "utf8");
    // The package is CommonJS with `factory.default = factory`: `.default` works under every loader.
    const filter = dockerIgnoreModule.default({ ignorecase: false }).add(rules);
    ignore = (relative) => filter.ignores(relative);
  } catch {
    // No .dockerignore: everything is sent.
  }
  const entries: ContextEntry[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const children: Dirent[] = await readdir(dir, { withFileTypes: true });
    children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) {
      const name = prefix ? `${prefix}/${child.name}` : child.name;
      if (ignore?.(name)) continue;
      const absolute = path.join(dir, child.name);
      const stat = await lstat(absolute);
      if (stat.isSymbolicLink()) {
        entries.push({ name, absolute, type: "symlink", mode: stat.mode & 0o7777, size: 0, linkname: await readlink(absolute) });
      } else if (stat.isDirectory()) {
        entries.push({ name, absolute, type: "directory", mode: stat.mode & 0o7777, size: 0 });
        await walk(absolute, name);
      } else if (stat.isFile()) {
        entries.push({ name, absolute, type: "file", mode: stat.mode & 0o7777, size: stat.size });
      }
      // Sockets, fifos and devices cannot be part of an image build: skipped, as docker does.
    }
  };
  await walk(contextDir, "");
  return entries;
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

/**
 * Read a Dockerfile build's inputs and hash them. The hash changes when the Dockerfile, a
 * build arg, or any file of the context (after .dockerignore) changes, and only then.
 */
export async function readBuildContext(dockerfile: string, contextDir: string, buildArgs: Readonly<Record<string, string>>): Promise<BuildContext> {
  const dockerfileText = await readFile(dockerfile);
  const entries = await listContext(contextDir);
  const hash = createHash("sha256");
  hash.update(HASH_VERSION).update("\0").update(dockerfileText).update("\0");
  for (const key of Object.keys(buildArgs).sort()) hash.update(`arg ${key}=${buildArgs[key]}\0`);
  for (const entry of entries) {
    hash.update(`${entry.type} ${entry.name} ${entry.mode.toString(8)}`);
    if (entry.type === "file") hash.update(` ${await hashFile(entry.absolute)}`);
    if (entry.type === "symlink") hash.update(` -> ${entry.linkname}`);
    hash.update("\0");
  }
  const contentHash = hash.digest("hex");

  const tarStream = (): Readable => {
    const pack = tar.pack();
    const fill = async (): Promise<void> => {
      for (const entry of entries) {
        if (entry.type === "directory") pack.entry({ name: entry.name, type: "directory", mode: entry.mode });
        else if (entry.type === "symlink") pack.entry({ name: entry.name, type: "symlink", linkname: entry.linkname!, mode: entry.mode });
        else await pipeline(createReadStream(entry.absolute), pack.entry({ name: entry.name, size: entry.size, mode: entry.mode }));
      }
      pack.entry({ name: CONTEXT_DOCKERFILE, mode: 0o644 }, dockerfileText);
      pack.finalize();
    };
    fill().catch((error: unknown) => pack.destroy(error as Error));
    // tar-stream packs are streamx streams: hand the engine client a Node stream.
    return Readable.from(pack as unknown as AsyncIterable<Buffer>);
  };

  return { dockerfile, contextDir, buildArgs, contentHash, tarStream };
}
