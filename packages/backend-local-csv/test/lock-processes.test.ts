// The lock protocol against real processes: a live owner stuck for longer than
// lockStaleMs, an owner that lost its lock, breakers paused or killed inside a takeover.
import { spawn, spawnSync } from "node:child_process";
import { appendFile, readFile, rename, stat, utimes, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { Project, type Row } from "@themis/core";
import { localCsvBackend } from "../src/index.js";
import { deadPid, openProject, readCsvRaw, removeDir, tableFile, tempDir } from "./helpers.js";
import { startWriter } from "./processes.js";

const rootDir = tempDir();
afterAll(() => removeDir(rootDir));

const BLOCKER = fileURLToPath(new URL("./fixtures/blocker.ts", import.meta.url));

/** Start the blocker fixture; resolves its output lines as they come. */
function startBlocker(project: string, column: string, blockMs: number, lockStaleMs: number) {
  const child = spawn(process.execPath, [BLOCKER, rootDir, project, "d", column, String(blockMs), String(lockStaleMs)], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const exited = new Promise<{ out: string; err: string; code: number | null }>((resolve) => child.on("close", (code) => resolve({ out, err, code })));
  const blocking = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", () => out.includes("blocking\n") && resolve());
    void exited.then((r) => reject(new Error(`blocker ended before blocking: ${r.out} ${r.err}`)));
  });
  return { blocking, exited };
}

async function tableWith(project: string, rows: Row[]): Promise<string[]> {
  const p = await Project.create(project, localCsvBackend, { rootDir });
  const ids = await (await p.createDataset("d")).appendMany(rows);
  await p.close();
  return ids;
}

describe("a live owner", () => {
  it("stuck (event loop blocked) for 3x lockStaleMs inside a rewrite keeps its lock: nobody's acknowledged row is lost", { timeout: 60_000 }, async () => {
    const [first] = await tableWith("busy", [{ v: 0 }]);
    // The blocker's batch brings a new column: it rewrites the file, and is stuck in the middle.
    const blocker = startBlocker("busy", "extra", 3000, 1000);
    await blocker.blocking;
    const p = await openProject(rootDir, "busy", { lockStaleMs: 1000, lockTimeoutMs: 60_000 });
    const d = await p.getDataset("d");
    const mine = await d.append({ v: "mine" }); // waits for the stuck owner, never breaks its lock
    const { out, err } = await blocker.exited;
    expect(out, err).toContain("acked");
    const ids = (await d.load()).map((r) => r._row_id);
    await p.close();
    expect(ids.sort()).toEqual([first, mine, "blocked-0", "blocked-1", "blocked-2"].sort());
  });

  it("that lost its lock while writing (replaced by a breaker on another host) rejects with CONFLICT, and its rows never show", {
    timeout: 60_000,
  }, async () => {
    const [first] = await tableWith("lost", [{ v: 0 }]);
    const file = tableFile(rootDir, "lost", "dataset", "d");
    const blocker = startBlocker("lost", "v", 3000, 600_000);
    await blocker.blocking;
    // What a breaker on another host does to a lock it judged stale: one rename of its own
    // record (carrying the committed length the owner vouched for) over the lock.
    const owner = JSON.parse(await readFile(`${file}.lock`, "utf8")) as { committed?: unknown };
    await writeFile(`${file}.other`, JSON.stringify({ pid: 1, host: "another-host", token: "remote", since: "then", committed: owner.committed }));
    await rename(`${file}.other`, `${file}.lock`);
    const old = new Date(Date.now() - 60_000);
    await utimes(`${file}.lock`, old, old); // and then that host died too
    const { out, err } = await blocker.exited;
    expect(out, err).toContain("rejected ERR_THEMIS_CONFLICT");
    const p = await openProject(rootDir, "lost", { lockStaleMs: 1000 });
    expect((await (await p.getDataset("d")).load()).map((r) => r._row_id)).toEqual([first]);
    await p.close();
    expect(readCsvRaw(file)!.map((r) => r._row_id)).toEqual([first]);
    expect(await readFile(`${file}.torn`, "utf8")).toContain("blocked-0");
  });
});

describe("taking over the lock of a dead writer", () => {
  /** A table whose lock is held by a dead writer that committed 2 rows and left half a record. */
  async function deadWriterTable(project: string): Promise<{ file: string; kept: string[]; partial: string }> {
    const kept = await tableWith(project, [{ v: 1 }, { v: 2 }]);
    const file = tableFile(rootDir, project, "dataset", "d");
    const info = await stat(file);
    const committed = { dev: info.dev, ino: info.ino, birthtimeMs: info.birthtimeMs, size: info.size };
    await writeFile(`${file}.lock`, JSON.stringify({ pid: deadPid(), host: hostname(), token: "dead", since: "then", committed }));
    const partial = "zz-1,3\nzz-2,";
    await appendFile(file, partial);
    return { file, kept, partial };
  }

  /** A writer of 3 one-row appends that will find the dead writer's lock and break it. */
  const startBreaker = (project: string, env: Record<string, string>, lockStaleMs?: number) =>
    startWriter({ rootDir, project, table: "d", prefix: "b", count: 3, batchSize: 1, payloadBytes: 1, env, ...(lockStaleMs && { lockStaleMs }) });

  it("is one step: while a breaker is inside it, another writer waits, then every acknowledged row is there", { timeout: 60_000 }, async () => {
    const { file, kept, partial } = await deadWriterTable("window");
    const breaker = startBreaker("window", { THEMIS_LOCAL_CSV_FAULT: "takeover:2000" });
    await breaker.waitForEvent("fault:takeover");
    const p = await openProject(rootDir, "window", { lockTimeoutMs: 60_000 });
    const d = await p.getDataset("d");
    const mine = await d.append({ v: "mine" });
    const { code, stderr } = await breaker.exited;
    expect(code, stderr).toBe(0);
    const ids = (await d.load()).map((r) => r._row_id);
    await p.close();
    expect(ids.sort()).toEqual([...kept, ...breaker.acknowledged, mine].sort());
    expect(breaker.acknowledged).toHaveLength(3);
    expect(await readFile(`${file}.torn`, "utf8")).toBe(`${partial}\n`);
  });

  it("on another host, stopped inside it for longer than lockStaleMs: another breaker takes over, and the stopped one then backs off (no acknowledged row lost)", {
    timeout: 60_000,
  }, async () => {
    const { file, kept, partial } = await deadWriterTable("stopped-remote");
    const breaker = startBreaker("stopped-remote", { THEMIS_LOCAL_CSV_FAULT: "takeover:4000", THEMIS_TEST_HOSTNAME: "stopped-breaker.invalid" }, 1000);
    await breaker.waitForEvent("fault:takeover");
    // Its claim is of another host and never changes: judged abandoned after lockStaleMs.
    const p = await openProject(rootDir, "stopped-remote", { lockStaleMs: 1000, lockTimeoutMs: 30_000 });
    const d = await p.getDataset("d");
    const mine = await d.append({ v: "mine" });
    await p.close(); // the lock is free when the stopped breaker resumes
    const { code, stderr } = await breaker.exited;
    expect(code, stderr).toBe(0);
    const q = await openProject(rootDir, "stopped-remote");
    const ids = (await (await q.getDataset("d")).load()).map((r) => r._row_id);
    await q.close();
    // Had it renamed its record into place, it would have rolled the table back to the dead
    // writer's committed length, moving our acknowledged row aside.
    expect(ids.sort()).toEqual([...kept, mine, ...breaker.acknowledged].sort());
    expect(breaker.acknowledged).toHaveLength(3);
    expect(await readFile(`${file}.torn`, "utf8")).toBe(`${partial}\n`);
  });

  for (const point of ["takeover", "taken"]) {
    it(`survives the breaker being killed inside it (${point === "taken" ? "after its rename" : "before its rename"}): the next reader recovers without an error`, {
      timeout: 60_000,
    }, async () => {
      const { file, kept, partial } = await deadWriterTable(`killed-${point}`);
      const breaker = startBreaker(`killed-${point}`, { THEMIS_LOCAL_CSV_FAULT: `${point}:30000` });
      await breaker.waitForEvent(`fault:${point}`);
      breaker.child.kill("SIGKILL");
      await breaker.exited;
      expect(breaker.acknowledged).toEqual([]);
      const p = await openProject(rootDir, `killed-${point}`, { lockTimeoutMs: 10_000 });
      const d = await p.getDataset("d");
      expect((await d.load()).map((r) => r._row_id)).toEqual(kept);
      const more = await d.append({ v: 3 });
      expect((await d.load()).map((r) => r._row_id)).toEqual([...kept, more]);
      await p.close();
      expect(await readFile(`${file}.torn`, "utf8")).toBe(`${partial}\n`);
    });
  }
});

describe("a process that ends without closing its backend", () => {
  it("gives its leased locks back on exit", { timeout: 60_000 }, async () => {
    await tableWith("exits", [{ v: 0 }]);
    const dist = new URL("../dist/index.js", import.meta.url).href;
    const script = `
      const { LocalCsvStorage, localCsvConfigSchema } = await import(${JSON.stringify(dist)});
      const storage = new LocalCsvStorage(localCsvConfigSchema.parse({ rootDir: ${JSON.stringify(rootDir)} }));
      const table = await (await storage.openProject("exits", "open")).openTable("dataset", "d");
      await table.append([{ _row_id: "late", v: 1 }]);
      const { existsSync } = await import("node:fs");
      process.stdout.write(String(existsSync(${JSON.stringify(`${tableFile(rootDir, "exits", "dataset", "d")}.lock`)})));
    `;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout).toBe("true"); // held as a lease while the process ran
    await expect(stat(`${tableFile(rootDir, "exits", "dataset", "d")}.lock`)).rejects.toMatchObject({ code: "ENOENT" });
  });
});
