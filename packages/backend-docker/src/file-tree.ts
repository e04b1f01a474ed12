import { createReadStream, type Dirent } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type tar from "tar-stream";

/** One entry of a folder tree, in a stable (sorted, parents first) order. */
export interface TreeEntry {
  /** Path relative to the tree's root, "/"-separated. */
  readonly name: string;
  readonly absolute: string;
  readonly type: "file" | "directory" | "symlink";
  readonly mode: number;
  readonly size: number;
  readonly linkname?: string;
}

/**
 * Every file, folder and symlink under `root` (symlinks are not followed), sorted by name
 * so hashes and archives are reproducible. `ignore` gets the relative path. Sockets, fifos
 * and devices are skipped: they cannot be copied into an image or a container.
 */
export async function listTree(root: string, ignore?: (relative: string) => boolean): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
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
    }
  };
  await walk(root, "");
  return entries;
}

/**
 * Add tree entries to a tar pack under `prefix` (no leading "/"). `mode` may rewrite each
 * entry's permission bits (e.g. to make a copy read-only).
 */
export async function packTree(pack: tar.Pack, entries: readonly TreeEntry[], prefix = "", mode?: (entry: TreeEntry) => number): Promise<void> {
  const at = (name: string): string => (prefix ? `${prefix}/${name}` : name);
  for (const entry of entries) {
    const entryMode = mode ? mode(entry) : entry.mode;
    if (entry.type === "directory") pack.entry({ name: at(entry.name), type: "directory", mode: entryMode });
    else if (entry.type === "symlink") pack.entry({ name: at(entry.name), type: "symlink", linkname: entry.linkname!, mode: entryMode });
    else await pipeline(createReadStream(entry.absolute), pack.entry({ name: at(entry.name), size: entry.size, mode: entryMode }));
  }
}
