import { readFile, stat, truncate } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Project, hasErrorCode, type StoredRow } from "@themis/core";
import { localCsvBackend } from "../src/index.js";
import { openProject, readCsvRaw, removeDir, tableFile, tempDir } from "./helpers.js";
import { startWriter } from "./processes.js";

const rootDir = tempDir();
afterAll(() => removeDir(rootDir));

async function loadOrCorrupt(project: string, table: string): Promise<StoredRow[] | "corrupt"> {
  const p = await openProject(rootDir, project);
  try {
    return await (await p.getDataset(table)).load();
  } catch (error) {
    if (hasErrorCode(error, "ERR_THEMIS_CORRUPT_DATA")) return "corrupt";
    throw error;
  } finally {
    await p.close();
  }
}

describe("a writer killed with SIGKILL mid-stream", () => {
  const project = "crash";
  const table = "killed";
  beforeAll(async () => {
    const p = await Project.create(project, localCsvBackend, { rootDir });
    await p.createDataset(table);
    await p.close();
  });

  it("loses no acknowledged row and leaves a file that loads, 12 times over", { timeout: 120_000 }, async () => {
    const file = tableFile(rootDir, project, "dataset", table);
    const acknowledged: string[] = [];
    const warnings: string[] = [];
    const onWarning = (w: Error & { code?: string }): void => void (w.code === "THEMIS_TORN_LINE" && warnings.push(w.message));
    process.on("warning", onWarning);
    try {
      for (let round = 0; round < 12; round++) {
        // Three kinds of writers: one-by-one appends, batches of 200 rows, and one huge batch
        // (a single ~20 MB write) killed as soon as the file starts growing: inside the write,
        // which is what tears a line.
        const kind = round % 3;
        const writer =
          kind === 0
            ? startWriter({ rootDir, project, table, prefix: `r${round}`, count: 100_000, batchSize: 1, payloadBytes: 20 })
            : kind === 1
              ? startWriter({ rootDir, project, table, prefix: `r${round}`, count: 100_000, batchSize: 200, payloadBytes: 1000 })
              : startWriter({ rootDir, project, table, prefix: `r${round}`, count: 4_000, batchSize: 2_000, payloadBytes: 10_000 });
        if (kind === 2) {
          const start = (await stat(file)).size;
          await writer.waitFor(0); // "ready": the backend is open
          while ((await stat(file)).size === start && writer.child.exitCode === null) await new Promise((r) => setImmediate(r));
        } else {
          await writer.waitFor(kind === 0 ? 30 + round * 7 : 400 + round * 50);
        }
        writer.child.kill("SIGKILL");
        const { signal, stderr } = await writer.exited;
        expect(signal, stderr).toBe("SIGKILL");
        acknowledged.push(...writer.acknowledged);

        // Straight after the kill: the file loads, or (if the kill tore the last line) reports
        // that as ERR_THEMIS_CORRUPT_DATA; never another error.
        const before = await loadOrCorrupt(project, table);
        if (before !== "corrupt") {
          const ids = new Set(before.map((r) => r._row_id));
          for (const id of acknowledged) expect(ids.has(id)).toBe(true);
        }

        // The next write repairs a torn tail; then every acknowledged row is there, once.
        const p = await openProject(rootDir, project);
        const t = await p.getDataset(table);
        const marker = await t.append({ after: round });
        acknowledged.push(marker);
        const rows = await t.load();
        await p.close();
        const ids = rows.map((r) => r._row_id);
        expect(new Set(ids).size).toBe(ids.length);
        const present = new Set(ids);
        const lost = acknowledged.filter((id) => !present.has(id));
        expect(lost).toEqual([]);
        // Batches are all or nothing: of the batch the kill interrupted, no row or every row.
        const batch = kind === 0 ? 1 : kind === 1 ? 200 : 2_000;
        const own = rows.filter((r) => r.who === `r${round}`).map((r) => r.n as number);
        expect(own.length % batch, `round ${round}: ${own.length} rows of batches of ${batch}`).toBe(0);
        expect(own).toEqual(Array.from({ length: own.length }, (_, i) => i));
        for (const row of rows) if (typeof row.n === "number") expect(row.text).toMatch(/^row \d+, "quoted"\nx+$/);
      }
    } finally {
      process.off("warning", onWarning);
    }
    // The oracle agrees: the file itself is valid CSV holding every acknowledged id.
    const raw = readCsvRaw(tableFile(rootDir, project, "dataset", table))!;
    const rawIds = new Set(raw.map((r) => r._row_id));
    expect(acknowledged.filter((id) => !rawIds.has(id))).toEqual([]);
    const rolledBack = warnings.filter((w) => w.includes("died while appending")).length;
    console.log(`crash test: ${acknowledged.length} acknowledged rows over 12 kills; ${rolledBack} unfinished batch(es) rolled back, ${warnings.length - rolledBack} torn line(s) moved aside`);
  });
});

describe("a torn last line", () => {
  it("is reported with file and line on read, and moved aside (not dropped) by the next write", async () => {
    const p = await Project.create("torn", localCsvBackend, { rootDir });
    const t = await p.createDataset("d");
    const ids = await t.appendMany([{ a: 1 }, { a: "two" }, { a: { three: 3 } }]);
    const file = tableFile(rootDir, "torn", "dataset", "d");
    const full = await readFile(file);
    // Cut the last record in half, as a write killed half way would.
    await truncate(file, full.length - 6);
    const fragment = (await readFile(file)).subarray(full.lastIndexOf("\n", full.length - 2) + 1);

    const error = await t.load().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA", problem: "torn-line", line: 4, source: file });
    expect((error as Error).message).toContain(`${file}, line 4`);
    await expect(async () => {
      for await (const _ of t.entries());
    }).rejects.toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA", line: 4 });

    const warned = new Promise<Error>((resolve) => process.once("warning", resolve));
    const id4 = await t.append({ a: 4 });
    expect((await warned).message).toContain(`${file}, line 4`);
    expect((await t.load()).map((r) => r._row_id)).toEqual([ids[0], ids[1], id4]);
    expect(await readFile(`${file}.torn`)).toEqual(Buffer.concat([fragment, Buffer.from("\n")]));
    expect((await stat(file)).size).toBeGreaterThan(0);
    await p.close();
  });
});
