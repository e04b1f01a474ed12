import { realpath } from "node:fs/promises";
import path from "node:path";
import { UnsupportedError } from "@themis/core";
import { BACKEND_NAME } from "./names.js";

/**
 * Refuse a table or folder under `rootDir` reached through a symbolic link: a link planted
 * in the data folder must not make the backend write elsewhere, and a link that stays
 * inside would give one file two names, with two locks that do not exclude each other.
 * Links above `rootDir` are fine. A path that does not exist yet passes (its parent is
 * checked before it is created).
 */
export async function assertNoLinks(rootDir: string, target: string, what: string): Promise<void> {
  let root: string;
  let real: string;
  try {
    root = await realpath(rootDir);
    real = await realpath(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if (real !== path.join(root, path.relative(rootDir, target))) {
    const where = real === root || real.startsWith(root + path.sep) ? "" : `, outside rootDir ${root}`;
    throw new UnsupportedError(
      `${what} ${target} is a symbolic link (or inside one) to ${real}${where}; local/csv refuses links under rootDir (every table keeps one name and one lock)`,
      {
        backend: BACKEND_NAME,
      },
    );
  }
}
