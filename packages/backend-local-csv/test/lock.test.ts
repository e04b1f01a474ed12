import { spawnSync } from "node:child_process";
import { access, readFile, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import { localCsvBackend } from "../src/index.js";
import { acquireFileLock } from "../src/file-lock.js";
import { removeDir, tableFile, tempDir } from "./helpers.js";

const rootDir = tempDir();
afterAll(() => removeDir(rootDir));

/** A pid that surely no longer runs: a child that already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

describe("the table lock", () => {
  it("is broken at once when its owner is a process of this host that no longer runs", async () => {
    const p = await Project.create("deadowner", localCsvBackend, { rootDir, lockStaleMs: 600_000, lockTimeoutMs: 5_000 });
    const d = await p.createDataset("d");
    const lockFile = `${tableFile(rootDir, "deadowner", "dataset", "d")}.lock`;
    await writeFile(lockFile, JSON.stringify({ pid: deadPid(), host: hostname(), token: "t", since: new Date().toISOString() }));
    // A lock that would be "fresh" for 10 minutes: only the dead-owner check can release it in time.
    await d.append({ a: 1 });
    expect((await d.load()).length).toBe(1);
    await expect(access(lockFile)).rejects.toMatchObject({ code: "ENOENT" });
    await p.close();
  });

  it("a writer that died mid-append leaves no part of its batch: the next holder rolls it back", async () => {
    const p = await Project.create("rollback", localCsvBackend, { rootDir, lockStaleMs: 600_000 });
    const d = await p.createDataset("d");
    const kept = await d.appendMany([{ v: 1 }, { v: 2 }]);
    const file = tableFile(rootDir, "rollback", "dataset", "d");
    const { stat, appendFile } = await import("node:fs/promises");
    const info = await stat(file);
    // What a writer killed after noting its intent and writing 2.5 rows leaves behind.
    const record = { pid: deadPid(), host: hostname(), token: "t", since: "then", appending: { dev: info.dev, ino: info.ino, birthtimeMs: info.birthtimeMs, from: info.size } };
    await writeFile(`${file}.lock`, JSON.stringify(record));
    const partial = "x1,3\nx2,4\nx3,";
    await appendFile(file, partial);

    const warned = new Promise<Error>((resolve) => process.once("warning", resolve));
    // A reader breaks the lock and rolls back first: it never sees the unacknowledged rows.
    expect((await d.load()).map((r) => r._row_id)).toEqual(kept);
    expect((await warned).message).toContain("died while appending");
    expect(await readFile(`${file}.torn`, "utf8")).toBe(partial + "\n");
    await expect(access(`${file}.pending`)).rejects.toMatchObject({ code: "ENOENT" });
    const more = await d.append({ v: 5 });
    expect((await d.load()).map((r) => r._row_id)).toEqual([...kept, more]);
    await p.close();
  });

  it("is waited for while a live process holds it, then fails with CONFLICT naming the holder", async () => {
    const p = await Project.create("liveowner", localCsvBackend, { rootDir, lockStaleMs: 600_000, lockTimeoutMs: 300 });
    const d = await p.createDataset("d");
    const lockFile = `${tableFile(rootDir, "liveowner", "dataset", "d")}.lock`;
    // Held by this very process, through another path than the table's own mutex.
    const held = await acquireFileLock(lockFile, { staleMs: 600_000, timeoutMs: 1000, pendingPath: `${lockFile}.pending` });
    const error = await d.append({ a: 1 }).then(
      () => undefined,
      (e: unknown) => e as Error & { code: string },
    );
    expect(error?.code).toBe("ERR_THEMIS_CONFLICT");
    expect(error?.message).toContain(`process ${process.pid}`);
    await held.release();
    await d.append({ a: 1 });
    expect((await d.load()).length).toBe(1);
    await p.close();
  });

  it("breaks a lock not refreshed for lockStaleMs (owner on another host)", async () => {
    const p = await Project.create("staleowner", localCsvBackend, { rootDir, lockStaleMs: 1000, lockTimeoutMs: 10_000 });
    const d = await p.createDataset("d");
    const lockFile = `${tableFile(rootDir, "staleowner", "dataset", "d")}.lock`;
    await writeFile(lockFile, JSON.stringify({ pid: 1, host: "some-other-host", token: "t", since: "then" }));
    const { utimes } = await import("node:fs/promises");
    const old = new Date(Date.now() - 60_000);
    await utimes(lockFile, old, old);
    await d.append({ a: 1 });
    await expect(readFile(lockFile)).rejects.toMatchObject({ code: "ENOENT" });
    await p.close();
  });
});
