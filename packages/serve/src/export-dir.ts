import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { AlreadyExistsError, UnavailableError } from "@themis/core";

const errorCode = (error: unknown): string | undefined => (error as { code?: string } | null)?.code;

/** The export folder must be new or empty: an export never mixes with, or replaces, other files. */
async function checkTarget(dir: string): Promise<void> {
  const found = await stat(dir).catch((error: unknown) => {
    if (errorCode(error) === "ENOENT") return undefined;
    throw unwritable(dir, error);
  });
  if (!found) return;
  if (!found.isDirectory()) throw new AlreadyExistsError(`cannot export to ${dir}: it exists and is not a folder; pick a new folder`);
  if ((await readdir(dir)).length > 0)
    throw new AlreadyExistsError(`cannot export to ${dir}: the folder is not empty (nothing in it was touched); pick a new or empty folder`);
}

function unwritable(dir: string, error: unknown): UnavailableError {
  return new UnavailableError(`cannot write the export folder ${dir} (${errorCode(error) ?? "error"}): pick a folder you can write`, { cause: error });
}

/**
 * Write an export all or nothing: `write` fills a fresh folder beside `dir`, which is then
 * renamed to `dir` (which must not exist or be empty). A failure removes the partial folder
 * and leaves `dir` as it was.
 */
export async function writeExportDir<T>(dir: string, write: (staging: string) => Promise<T>): Promise<T> {
  const target = path.resolve(dir);
  await checkTarget(target);
  const staging = `${target}.partial-${randomBytes(4).toString("hex")}`;
  try {
    await mkdir(path.dirname(target), { recursive: true });
    await mkdir(staging);
  } catch (error) {
    throw unwritable(target, error);
  }
  try {
    const result = await write(staging);
    // rename(2) replaces an empty folder; a folder filled meanwhile makes it fail (ENOTEMPTY).
    await rename(staging, target).catch((error: unknown) => {
      if (errorCode(error) === "ENOTEMPTY" || errorCode(error) === "EEXIST")
        throw new AlreadyExistsError(`cannot export to ${target}: the folder was filled while exporting`, { cause: error });
      throw unwritable(target, error);
    });
    return result;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}
