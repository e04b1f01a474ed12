import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import dockerIgnoreModule from "@balena/dockerignore";
import tar from "tar-stream";
import { type TreeEntry, listTree, packTree } from "./file-tree.js";

/** Name the Dockerfile gets inside the context sent to the engine (it may live outside the context folder). */
export const CONTEXT_DOCKERFILE = ".themis.Dockerfile";

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

async function listContext(contextDir: string): Promise<TreeEntry[]> {
  let ignore: ((relative: string) => boolean) | undefined;
  try {
    const rules = await readFile(path.join(contextDir, ".dockerignore"), "utf8");
    // The package is CommonJS with `factory.default = factory`: `.default` works under every loader.
    const filter = dockerIgnoreModule.default({ ignorecase: false }).add(rules);
    ignore = (relative) => filter.ignores(relative);
  } catch {
    // No .dockerignore: everything is sent.
  }
  return listTree(contextDir, ignore);
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
      await packTree(pack, entries);
      pack.entry({ name: CONTEXT_DOCKERFILE, mode: 0o644 }, dockerfileText);
      pack.finalize();
    };
    fill().catch((error: unknown) => pack.destroy(error as Error));
    // tar-stream packs are streamx streams: hand the engine client a Node stream.
    return Readable.from(pack as unknown as AsyncIterable<Buffer>);
  };

  return { dockerfile, contextDir, buildArgs, contentHash, tarStream };
}
