// Reads by a process that cannot write the table's lock record (a full disk, a read-only
// folder): they go without the lock and must still show committed rows only.
import { readdirSync } from "node:fs";
import { appendFile, readFile, stat, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { unlockedSnapshot } from "../src/unlocked-snapshot.js";
import { ConflictError, Project, type Row } from "@themis/core";
import { localCsvBackend } from "../src/index.js";
import { startWriter } from "./processes.js";
import { deadPid, removeDir, tableFile, tempDir } from "./helpers.js";

const rootDir = tempDir();
afterAll(() => removeDir(rootDir));

async function tableWith(project: string, rows: Row[]): Promise<string> {
  const p = await Project.create(project, localCsvBackend, { rootDir });
  await (await p.createDataset("d")).appendMany(rows);
  await p.close();
  return tableFile(rootDir, project, "dataset", "d");
}

/** The text of an unlocked snapshot of `file`, or its last `tail` bytes. */
async function snapshotText(file: string, tail = Infinity): Promise<string> {
  const { handle, size } = await unlockedSnapshot(file, `${file}.lock`, 5_000);
  try {
    const length = Math.min(size, tail);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString("utf8");
  } finally {
    await handle.close();
  }
}

describe("a snapshot without the lock", () => {
  it("ends at the committed length when the lock's holder died mid-write (its tail is left for the next holder)", async () => {
    const file = await tableWith("dead-tail", [{ v: 1 }, { v: 2 }]);
    const whole = await readFile(file, "utf8");
    const info = await stat(file);
    const committed = { dev: info.dev, ino: info.ino, birthtimeMs: info.birthtimeMs, size: info.size };
    await writeFile(`${file}.lock`, JSON.stringify({ pid: deadPid(), host: hostname(), token: "dead", since: "then", committed }));
    await appendFile(file, "zz-1,3\nzz-2,");
    expect(await snapshotText(file)).toBe(whole);
    // Left as it is: only a holder of the lock moves a tail aside.
    expect(await readFile(file, "utf8")).toBe(`${whole}zz-1,3\nzz-2,`);
  });

  it("is the whole file when there is no lock, or the lock names another file (a rewrite renamed in a whole new one)", async () => {
    const file = await tableWith("no-lock", [{ v: 1 }, { v: 2 }]);
    const whole = await readFile(file, "utf8");
    expect(await snapshotText(file)).toBe(whole);
    const committed = { dev: 1, ino: 2, birthtimeMs: 3, size: 4 };
    await writeFile(`${file}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), token: "live", since: "now", committed }));
    expect(await snapshotText(file)).toBe(whole);
  });

  it("never shows part of a batch while another process appends", { timeout: 60_000 }, async () => {
    // A first row of the writer's columns: its batches are appends, never a header rewrite.
    const file = await tableWith("busy", [{ n: -1, who: "w", text: `row -1, "quoted"\n${"x".repeat(300)}`, nested: { j: -1, even: false } }]);
    const writer = startWriter({ rootDir, project: "busy", table: "d", prefix: "w", count: 400_000, batchSize: 5000, payloadBytes: 300 });
    // A batch past 2 000 rows is written in chunks, the event loop running in between.
    await writer.waitFor(5000);
    // Each look reads only the snapshot's tail: its last row (ids w-<n>, the row's other line
    // starts with "x") must end a batch, so looks stay quick however large the file grows.
    const lasts: number[] = [];
    while (writer.child.exitCode === null && lasts.length < 300) {
      const tail = await snapshotText(file, 64 * 1024);
      expect(tail.endsWith("\n")).toBe(true);
      const last = [...tail.matchAll(/(?:^|\n)w-(\d+),/g)].at(-1);
      if (last === undefined) continue; // no batch yet
      lasts.push(Number(last[1]));
      // Batches are all or nothing: the last row seen is the last of a batch of 5 000.
      expect(Number(last[1]) % 5000).toBe(4999);
    }
    writer.child.kill();
    await writer.exited;
    expect(lasts.length).toBeGreaterThan(20);
    expect(lasts).toEqual([...lasts].sort((a, b) => a - b));
  });

  it("gives up with CONFLICT after its timeout when the lock changes at every look, and leaves no file open", async () => {
    const file = await tableWith("restless", [{ v: 1 }]);
    const openFiles = () => readdirSync("/proc/self/fd").length;
    const before = openFiles();
    let looks = 0;
    // A holder that takes the lock anew between any two looks: a new token each time.
    const restless = () => {
      looks++;
      return { record: { pid: process.pid, host: hostname(), token: `t${looks}`, since: "now" }, ino: 1, mtimeMs: looks };
    };
    const started = Date.now();
    const error = await unlockedSnapshot(file, `${file}.lock`, 300, restless).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).message).toContain("kept changing while read without its lock");
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(looks).toBeGreaterThan(4); // it tried again before giving up
    expect(openFiles()).toBe(before);
  });
});
