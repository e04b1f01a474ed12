// Claim files (`<table>.csv.lock.claim-<token>-<k>`) left by a process killed inside a
// takeover or inside its own release: none may keep a table locked for longer than
// lockStaleMs, wherever the process ran and however far it got in writing its claim.
import { readdir, readFile, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import { localCsvBackend } from "../src/index.js";
import { TableLock } from "../src/file-lock.js";
import { deadPid, removeDir, tableFile, tempDir } from "./helpers.js";

const rootDir = tempDir();
afterAll(() => removeDir(rootDir));

const claimsBeside = async (lockFile: string): Promise<string[]> =>
  (await readdir(path.dirname(lockFile))).filter((f) => f.startsWith(`${path.basename(lockFile)}.claim-`));

async function tableWithLock(name: string, lock: object): Promise<{ p: Project; lockFile: string; append: () => Promise<string> }> {
  // lockStaleMs 1 s, lockTimeoutMs 10 s: a claim judged by its age (5 min + 1 s) makes the append time out.
  const p = await Project.create(name, localCsvBackend, { rootDir, lockStaleMs: 1000, lockTimeoutMs: 10_000 });
  const d = await p.createDataset("d");
  const lockFile = `${tableFile(rootDir, name, "dataset", "d")}.lock`;
  await writeFile(lockFile, JSON.stringify(lock));
  return { p, lockFile, append: () => d.append({ a: 1 }) };
}

describe("a claim left by a breaker killed inside the takeover", () => {
  it("empty (killed between creating its claim and writing it): the dead lock is broken once the claim stayed the same for lockStaleMs", async () => {
    const { p, lockFile, append } = await tableWithLock("empty-claim", { pid: deadPid(), host: hostname(), token: "deadbeef", since: "then" });
    await writeFile(`${lockFile}.claim-deadbeef-1`, "");
    await expect(append()).resolves.toBeTypeOf("string");
    await p.close();
    expect(await claimsBeside(lockFile)).toEqual([]);
  });

  it("by a breaker on another host (judged by its claim's age before): the lock is broken once the claim stayed the same for lockStaleMs", async () => {
    const elsewhere = { pid: 1, host: "elsewhere.invalid", since: "then" };
    const { p, lockFile, append } = await tableWithLock("remote-claim", { ...elsewhere, token: "deadbeef" });
    await writeFile(`${lockFile}.claim-deadbeef-1`, JSON.stringify({ ...elsewhere, token: "breaker" }));
    await expect(append()).resolves.toBeTypeOf("string");
    await p.close();
    expect(await claimsBeside(lockFile)).toEqual([]);
  });
});

describe("a claim on a live holder's own lock", () => {
  it("left by a breaker that died: the holder's release waits it out and removes the lock, so a waiter gets it", async () => {
    const p = await Project.create("own-claim", localCsvBackend, { rootDir });
    await p.createDataset("d");
    await p.close();
    const lockFile = `${tableFile(rootDir, "own-claim", "dataset", "d")}.lock`;
    const options = { staleMs: 1000, timeoutMs: 10_000 };
    const holder = new TableLock(lockFile, options);
    await holder.acquire();
    holder.done();
    const { token } = JSON.parse(await readFile(lockFile, "utf8")) as { token: string };
    // A breaker on another host judged this lock stale, claimed it, and died before replacing it.
    await writeFile(`${lockFile}.claim-${token}-1`, "");
    holder.release();
    // Held up by the claim, it keeps the lock (and its lease) instead of leaving the file behind.
    expect(holder.owned()).toBe(true);
    // The holder runs (this process): only its release can free the table.
    const waiter = new TableLock(lockFile, options);
    await expect(waiter.acquire()).resolves.toEqual({ inherited: undefined });
    expect(holder.owned()).toBe(false);
    waiter.done();
    waiter.release();
    expect(await claimsBeside(lockFile)).toEqual([]);
  });
});
