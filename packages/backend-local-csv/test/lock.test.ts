import { access, appendFile, readFile, readdir, stat, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import { localCsvBackend } from "../src/index.js";
import { TableLock } from "../src/file-lock.js";
import { currentProcess } from "@themis/core/backend";
import { deadPid, removeDir, tableFile, tempDir } from "./helpers.js";

const rootDir = tempDir();
afterAll(() => removeDir(rootDir));

const gone = (file: string): Promise<unknown> => expect(access(file)).rejects.toMatchObject({ code: "ENOENT" });

describe("the table lock", () => {
  it("is broken at once when its owner is a process of this host that no longer runs", async () => {
    const p = await Project.create("deadowner", localCsvBackend, { rootDir, lockStaleMs: 600_000, lockTimeoutMs: 5_000 });
    const d = await p.createDataset("d");
    const lockFile = `${tableFile(rootDir, "deadowner", "dataset", "d")}.lock`;
    await writeFile(lockFile, JSON.stringify({ pid: deadPid(), host: hostname(), token: "t", since: new Date().toISOString() }));
    // A lock that would be "fresh" for 10 minutes: only the dead-owner check can release it in time.
    await d.append({ a: 1 });
    expect((await d.load()).length).toBe(1);
    await p.close();
    await gone(lockFile);
  });

  it("is broken at once when its pid runs but is another process (pid reused: other start time)", async () => {
    const p = await Project.create("reused", localCsvBackend, { rootDir, lockStaleMs: 600_000, lockTimeoutMs: 5_000 });
    const d = await p.createDataset("d");
    const lockFile = `${tableFile(rootDir, "reused", "dataset", "d")}.lock`;
    // Our parent runs, but it is not the process that wrote this record: its start time differs.
    await writeFile(lockFile, JSON.stringify({ pid: process.ppid, host: hostname(), boot: currentProcess.boot, start: "1", token: "t", since: "then" }));
    await d.append({ a: 1 });
    expect((await d.load()).length).toBe(1);
    await p.close();
  });

  it.runIf(process.platform === "linux")("is not broken while fresh when its owner is in another pid namespace (a container with this host name)", async () => {
    const p = await Project.create("otherns", localCsvBackend, { rootDir, lockStaleMs: 600_000, lockTimeoutMs: 1500 });
    const d = await p.createDataset("d");
    const lockFile = `${tableFile(rootDir, "otherns", "dataset", "d")}.lock`;
    // Its pid does not run here, but it numbers the processes of another namespace: it may well run there.
    await writeFile(lockFile, JSON.stringify({ ...currentProcess, pid: deadPid(), pidns: "pid:[1]", token: "t", since: "now" }));
    await expect(d.append({ a: 1 })).rejects.toMatchObject({
      code: "ERR_THEMIS_CONFLICT",
      message: expect.stringContaining("in another container: broken once unrefreshed for 600000 ms"),
    });
    await p.close();
  });

  it("a writer that died past its committed length leaves nothing visible: the next holder (a reader too) moves it aside", async () => {
    const p = await Project.create("rollback", localCsvBackend, { rootDir, lockStaleMs: 600_000 });
    const d = await p.createDataset("d");
    const kept = await d.appendMany([{ v: 1 }, { v: 2 }]);
    await p.close();
    const file = tableFile(rootDir, "rollback", "dataset", "d");
    const info = await stat(file);
    // What a writer killed after committing 2 rows and writing 2.5 more leaves behind.
    const committed = { dev: info.dev, ino: info.ino, birthtimeMs: info.birthtimeMs, size: info.size };
    await writeFile(`${file}.lock`, JSON.stringify({ pid: deadPid(), host: hostname(), token: "t", since: "then", committed }));
    const partial = "x1,3\nx2,4\nx3,";
    await appendFile(file, partial);

    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      const q = await Project.open("rollback", localCsvBackend, { rootDir });
      const t = await q.getDataset("d");
      // The reader breaks the lock and rolls back first: no error, and it never sees the unacknowledged rows.
      expect((await t.load()).map((r) => r._row_id)).toEqual(kept);
      expect((await t.load()).map((r) => r._row_id)).toEqual(kept);
      const more = await t.append({ v: 5 });
      expect((await t.load()).map((r) => r._row_id)).toEqual([...kept, more]);
      await q.close();
    } finally {
      process.off("warning", onWarning);
    }
    expect(warnings.filter((w) => w.includes("died while writing"))).toHaveLength(1); // logged once
    expect(await readFile(`${file}.torn`, "utf8")).toBe(`${partial}\n`);
  });

  it("is waited for while a live process holds it, then fails with CONFLICT naming the holder", async () => {
    const p = await Project.create("live", localCsvBackend, { rootDir, lockStaleMs: 1000, lockTimeoutMs: 3000 });
    const d = await p.createDataset("d");
    const lockFile = `${tableFile(rootDir, "live", "dataset", "d")}.lock`;
    // Held by this very process, through another path than the table's own mutex, and never
    // refreshed: older than lockStaleMs by far, yet its owner runs on this host.
    const held = new TableLock(lockFile, { staleMs: 1000, timeoutMs: 1000 });
    await held.acquire();
    const old = new Date(Date.now() - 60_000);
    await utimes(lockFile, old, old);
    const error = await d.append({ a: 1 }).then(
      () => undefined,
      (e: unknown) => e as Error & { code: string },
    );
    expect(error?.code).toBe("ERR_THEMIS_CONFLICT");
    expect(error?.message).toContain(`process ${process.pid} on ${hostname()} (which still runs)`);
    held.release();
    await d.append({ a: 1 });
    expect((await d.load()).length).toBe(1);
    await p.close();
  });

  it("breaks a lock not refreshed for lockStaleMs when its owner is on another host", async () => {
    const p = await Project.create("staleowner", localCsvBackend, { rootDir, lockStaleMs: 1000, lockTimeoutMs: 10_000 });
    const d = await p.createDataset("d");
    const lockFile = `${tableFile(rootDir, "staleowner", "dataset", "d")}.lock`;
    await writeFile(lockFile, JSON.stringify({ pid: 1, host: "some-other-host", token: "t", since: "then" }));
    const old = new Date(Date.now() - 60_000);
    await utimes(lockFile, old, old);
    await d.append({ a: 1 });
    await p.close();
    await gone(lockFile);
  });

  describe("an owner on another host whose clock is off (a shared file system)", () => {
    const MINUTE = 60_000;
    const otherHost = (file: string) => writeFile(file, JSON.stringify({ pid: 1, host: "skewed-host.invalid", token: "skewed", since: "then" }));
    const setMtime = (file: string, ms: number) => utimes(file, new Date(ms), new Date(ms));

    it("2 minutes behind: its lock is not broken while it refreshes it, and is once it stops", async () => {
      const p = await Project.create("behind", localCsvBackend, { rootDir, lockStaleMs: 1000, lockTimeoutMs: 10_000 });
      const d = await p.createDataset("d");
      const lockFile = `${tableFile(rootDir, "behind", "dataset", "d")}.lock`;
      await otherHost(lockFile);
      // Its refreshes, dated by its clock: 2 minutes older than ours, each newer than the last.
      let refreshes = 0;
      const refresh = setInterval(() => void setMtime(lockFile, Date.now() - 2 * MINUTE).then(() => refreshes++), 200);
      await setMtime(lockFile, Date.now() - 2 * MINUTE);
      let stopped = false;
      const appended = d.append({ a: 1 }).then(() => stopped);
      await new Promise((r) => setTimeout(r, 1800));
      clearInterval(refresh);
      stopped = true;
      // The append got the lock only after the refreshes stopped (a look at the mtime alone breaks it at once).
      expect(await appended).toBe(true);
      expect(refreshes).toBeGreaterThan(3);
      expect((await d.load()).length).toBe(1);
      await p.close();
    });

    it("2 minutes ahead: its lock is broken once it has not changed for lockStaleMs", async () => {
      const p = await Project.create("ahead", localCsvBackend, { rootDir, lockStaleMs: 1000, lockTimeoutMs: 10_000 });
      const d = await p.createDataset("d");
      const lockFile = `${tableFile(rootDir, "ahead", "dataset", "d")}.lock`;
      await otherHost(lockFile);
      await setMtime(lockFile, Date.now() + 2 * MINUTE);
      await d.append({ a: 1 });
      expect((await d.load()).length).toBe(1);
      await p.close();
    });
  });

  it("is broken by one breaker only: a live claim on the stale lock makes others wait; a dead claimant's claim is skipped", async () => {
    const p = await Project.create("claims", localCsvBackend, { rootDir, lockStaleMs: 600_000, lockTimeoutMs: 1500 });
    const d = await p.createDataset("d");
    const lockFile = `${tableFile(rootDir, "claims", "dataset", "d")}.lock`;
    await writeFile(lockFile, JSON.stringify({ pid: deadPid(), host: hostname(), token: "deadbeef", since: "then" }));
    // Another breaker (alive: this process) is inside the takeover of that very lock.
    await writeFile(`${lockFile}.claim-deadbeef-1`, JSON.stringify({ ...currentProcess, token: "other", since: "now" }));
    await expect(d.append({ a: 1 })).rejects.toMatchObject({
      code: "ERR_THEMIS_CONFLICT",
      message: expect.stringContaining("which no longer runs, but a claim"),
    });
    // That breaker was killed before it finished: its claim no longer counts.
    await writeFile(`${lockFile}.claim-deadbeef-1`, JSON.stringify({ pid: deadPid(), host: hostname(), token: "other", since: "then" }));
    await d.append({ a: 2 });
    expect((await d.load()).map((r) => r.a)).toEqual([2]);
    await p.close();
    expect((await readdir(path.dirname(lockFile))).filter((f) => f.includes(".claim-"))).toEqual([]);
  });

  it("is kept as a lease between operations and given back on close", async () => {
    const p = await Project.create("lease", localCsvBackend, { rootDir });
    const d = await p.createDataset("d");
    const lockFile = `${tableFile(rootDir, "lease", "dataset", "d")}.lock`;
    await d.append({ a: 1 });
    const first = (await stat(lockFile)).ino;
    await d.append({ a: 2 });
    expect((await stat(lockFile)).ino).toBe(first);
    await p.close();
    await gone(lockFile);
  });
});

describe("leftovers of killed writers", () => {
  it("opening a table removes temp files of rewrites whose writer is dead, and keeps a live one's", async () => {
    const p = await Project.create("temps", localCsvBackend, { rootDir });
    await (await p.createDataset("d")).append({ a: 1 });
    await p.close();
    const file = tableFile(rootDir, "temps", "dataset", "d");
    const dir = path.dirname(file);
    const dead = path.join(dir, `.d.csv.${deadPid()}.0a1b2c.tmp`);
    const live = path.join(dir, `.d.csv.${process.pid}.0a1b2d.tmp`);
    await writeFile(dead, Buffer.alloc(1 << 20, 0x61));
    await writeFile(live, "x");
    const q = await Project.open("temps", localCsvBackend, { rootDir });
    expect((await (await q.getDataset("d")).load()).length).toBe(1);
    await q.close();
    await gone(dead);
    await expect(access(live)).resolves.toBeUndefined();
  });
});
