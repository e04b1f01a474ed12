// File-system failures reach users as Themis errors naming the table and what to do, and
// lose nothing acknowledged. Real conditions only: a read-only folder, a file where a folder
// should be (ENOTDIR), a folder where a table's file should be (EISDIR), a full disk (a
// small tmpfs, where the test may mount one).
import { spawnSync } from "node:child_process";
import { appendFile, chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import { localCsvBackend } from "../src/index.js";
import { readCsvRaw, removeDir, tableFile, tempDir } from "./helpers.js";

const rootDir = tempDir();
afterAll(() => removeDir(rootDir));

const READ_ONLY = fileURLToPath(new URL("./fixtures/read-only.ts", import.meta.url));

/**
 * How to run a process that permissions apply to. Root ignores them (CI containers run as
 * root): there the child runs as root without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH
 * (util-linux's `setpriv`), so a folder's mode bits bind it like any user.
 */
function boundByPermissions(): { prefix: string[] } | { skip: string } {
  if (process.platform === "win32") return { skip: "Windows has no POSIX mode bits" };
  if (process.getuid?.() !== 0) return { prefix: [] };
  const prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"];
  const probe = spawnSync(prefix[0] as string, [...prefix.slice(1), "true"]);
  return probe.status === 0 ? { prefix } : { skip: "running as root and `setpriv` cannot drop CAP_DAC_OVERRIDE (install util-linux)" };
}

async function projectWithRows(name: string): Promise<{ project: Project; ids: string[] }> {
  const project = await Project.create(name, localCsvBackend, { rootDir });
  const qa = await project.createDataset("qa");
  const ids = await qa.appendMany([{ q: "2+2?" }, { q: "3+3?" }]);
  return { project, ids };
}

const runner = boundByPermissions();

describe("a read-only dataset folder (chmod 0555)", () => {
  if ("skip" in runner) console.warn(`[local/csv fs-errors] read-only folder test skipped: ${runner.skip}`);

  it.skipIf("skip" in runner)("every write fails with INVALID_CONFIG naming the table and the fix; reads still work, nothing is lost", async () => {
    const { project, ids } = await projectWithRows("read-only");
    await project.close();
    const file = tableFile(rootDir, "read-only", "dataset", "qa");
    const before = await readFile(file, "utf8");
    const folder = path.dirname(file);
    await chmod(folder, 0o555);
    let out: ReturnType<typeof spawnSync>;
    try {
      const prefix = "prefix" in runner ? runner.prefix : [];
      const argv = [...prefix, process.execPath, READ_ONLY, rootDir, "read-only", "qa", ids[0] as string];
      out = spawnSync(argv[0] as string, argv.slice(1), { encoding: "utf8" });
    } finally {
      await chmod(folder, 0o755);
    }
    expect(out.stderr).toBe("");
    const result = JSON.parse(String(out.stdout)) as Record<string, { code: string; retryable: boolean; issues: { path: string }[]; message: string }>;
    const actions = { append: "append to", update: "update a row of", delete: "delete a row of", create: "create" } as const;
    for (const [op, action] of Object.entries(actions)) {
      const table = op === "create" ? 'dataset "other"' : 'dataset "qa"';
      expect(result[op], op).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", retryable: false, issues: [{ path: "rootDir" }] });
      expect(result[op]?.message, op).toContain(`[themis] [local/csv] cannot ${action} ${table} of project "read-only": check the folder's permissions`);
      expect(result[op]?.message, op).toContain(`- rootDir: EACCES: permission denied, open '${folder}${path.sep}`);
    }
    expect(result.rows).toEqual([
      { _row_id: ids[0], q: "2+2?" },
      { _row_id: ids[1], q: "3+3?" },
    ]);
    // Nothing changed on disk; once writable again, writes work.
    expect(await readFile(file, "utf8")).toBe(before);
    const again = await Project.open("read-only", localCsvBackend, { rootDir });
    await (await again.getDataset("qa")).append({ q: "4+4?" });
    await again.close();
    expect(readCsvRaw(file)?.map((r) => r.q)).toEqual(["2+2?", "3+3?", "4+4?"]);
  });
});

describe("something else where the backend expects a folder or a file", () => {
  it("a file where the experiments folder should be (ENOTDIR): INVALID_CONFIG naming it; datasets untouched", async () => {
    const { project, ids } = await projectWithRows("not-dir");
    const folder = path.join(rootDir, "not-dir", "experiments");
    await rm(folder, { recursive: true });
    await writeFile(folder, "someone's notes");
    await expect(project.listExperiments()).rejects.toMatchObject({
      code: "ERR_THEMIS_INVALID_CONFIG",
      message: expect.stringMatching(
        /cannot list the experiments of project "not-dir": something else is at that path: move it away.*\n {2}- rootDir: ENOTDIR/,
      ),
    });
    await expect(project.createExperiment("run")).rejects.toMatchObject({
      code: "ERR_THEMIS_INVALID_CONFIG",
      message: expect.stringMatching(
        /cannot create experiment "run" of project "not-dir": something else is at that path: move it away.*\n {2}- rootDir: ENOTDIR/,
      ),
    });
    expect(await readFile(folder, "utf8")).toBe("someone's notes");
    expect((await (await project.getDataset("qa")).load()).map((r) => r._row_id)).toEqual(ids);
    await project.close();
  });

  it("a folder where a table's file should be (EISDIR): INVALID_CONFIG on open, create and on a handle's writes and reads", async () => {
    const { project } = await projectWithRows("is-dir");
    const qa = await project.getDataset("qa");
    const file = tableFile(rootDir, "is-dir", "dataset", "qa");
    const saved = await readFile(file, "utf8");
    // Someone moves the table away and leaves a folder of that name.
    await rm(file);
    await mkdir(file);
    const inTheWay = { code: "ERR_THEMIS_INVALID_CONFIG", retryable: false };
    await expect(qa.append({ q: "lost?" })).rejects.toMatchObject({
      ...inTheWay,
      message: expect.stringMatching(
        /cannot append to dataset "qa" of project "is-dir": something else is at that path: move it away.*\n {2}- rootDir: EISDIR/,
      ),
    });
    await expect(qa.load()).rejects.toMatchObject({
      ...inTheWay,
      message: expect.stringMatching(/cannot read dataset "qa" of project "is-dir": .*\n {2}- rootDir: EISDIR/),
    });
    await expect(project.getDataset("qa")).rejects.toMatchObject({ ...inTheWay, message: expect.stringContaining(`${file} is a folder`) });
    await expect(project.createDataset("qa")).rejects.toMatchObject({ ...inTheWay, message: expect.stringContaining(`${file} is a folder`) });
    // Put back, the table is whole again: the failed append wrote nothing anywhere.
    await rm(file, { recursive: true });
    await writeFile(file, saved);
    expect((await qa.load()).map((r) => r.q)).toEqual(["2+2?", "3+3?"]);
    await qa.append({ q: "4+4?" });
    expect(readCsvRaw(file)?.map((r) => r.q)).toEqual(["2+2?", "3+3?", "4+4?"]);
    await project.close();
  });
});

/** A 1 MiB tmpfs mounted at a new folder (root on Linux with CAP_SYS_ADMIN), or why not. */
function smallDisk(): { dir: string; unmount: () => void } | { skip: string } {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return { skip: "mounting a tmpfs needs root on Linux" };
  const dir = tempDir("themis-local-csv-full-");
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { encoding: "utf8" });
  if (mounted.status !== 0) return { skip: `cannot mount a tmpfs (${(mounted.stderr || String(mounted.error)).trim()})` };
  // Lazy: detached even when a failed test left a file open there.
  return { dir, unmount: () => spawnSync("umount", ["--lazy", dir]) };
}

describe("a full disk (ENOSPC)", () => {
  const disk = smallDisk();
  if ("skip" in disk) console.warn(`[local/csv fs-errors] full-disk test skipped: ${disk.skip}`);
  afterAll(async () => {
    if ("unmount" in disk) {
      disk.unmount();
      await removeDir(disk.dir);
    }
  });

  it.skipIf("skip" in disk)("writes fail with UNAVAILABLE (not retryable) saying to free space; acknowledged rows stay; freed, writes work", async () => {
    const dir = "dir" in disk ? disk.dir : "";
    const project = await Project.create("full", localCsvBackend, { rootDir: dir, lockTimeoutMs: 5000 });
    const qa = await project.createDataset("qa");
    const ids = await qa.appendMany([{ q: "2+2?" }, { q: "3+3?" }]);
    // Fill the disk with a file of someone else's: to the last page, once the table's lock
    // (a lease, given back 20 ms after the append) is gone too, so a read has no lock left.
    const filler = path.join(dir, "filler");
    const fill = async (bytes: number): Promise<void> => {
      const chunk = Buffer.alloc(bytes, 120);
      while (
        await appendFile(filler, chunk).then(
          () => true,
          () => false,
        )
      );
    };
    await fill(64 * 1024);
    await sleep(200);
    await fill(1024);
    await fill(1);
    const row = { q: "x".repeat(200_000) }; // pages more than the table's last one can take
    const full = {
      code: "ERR_THEMIS_UNAVAILABLE",
      retryable: false,
      message: expect.stringMatching(/ENOSPC: no space left on device.*free space on that disk/),
    };
    await expect(qa.append(row)).rejects.toMatchObject({
      ...full,
      message: expect.stringContaining('cannot append to dataset "qa" of project "full": ENOSPC'),
    });
    await expect(qa.update(ids[0] as string, row)).rejects.toMatchObject(full);
    await expect(project.createDataset("more")).rejects.toMatchObject(full);
    expect((await qa.load()).map((r) => r._row_id)).toEqual(ids);
    await rm(filler);
    const [id] = await qa.appendMany([row]);
    expect((await qa.load()).map((r) => r._row_id)).toEqual([...ids, id]);
    await project.close();
  });
});
