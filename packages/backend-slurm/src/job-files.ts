import { randomBytes } from "node:crypto";
import { mkdir, open, rm } from "node:fs/promises";
import path from "node:path";
import type { CapturedOutput } from "@themis/core";

/**
 * A new folder for one job attempt under `<workDir>/<executorId>/`: private to the user
 * (0700), named so that a listing shows which item and attempt it holds.
 */
export async function createJobDir(workDir: string, executorId: string, index: number, attempt: number): Promise<string> {
  const dir = path.join(workDir, executorId, `${index}.${attempt}.${randomBytes(4).toString("hex")}`);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/**
 * The first `maxBytes` of a file and its total size, without reading the rest: a job that
 * printed gigabytes costs `maxBytes` of memory. A missing file (the job never started) is
 * empty output.
 */
export async function readCapped(file: string, maxBytes: number): Promise<CapturedOutput> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { text: "", bytes: 0, truncated: false };
    throw error;
  }
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.min(size, maxBytes));
    let read = 0;
    while (read < buffer.length) {
      const { bytesRead } = await handle.read(buffer, read, buffer.length - read, read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return { text: buffer.subarray(0, read).toString("utf8"), bytes: size, truncated: size > read };
  } finally {
    await handle.close();
  }
}

/** Remove a job's folder; a failure to do so never fails the job. */
export async function removeJobDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true }).catch(() => undefined);
}
