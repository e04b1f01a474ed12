import { mkdtempSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Project, type Row, type StorageBackend, type TableKind, memoryBackend } from "@themis/core";
import { localCsvBackend } from "@themis/backend-local-csv";
import { copyProject } from "../src/copy-project.js";

// Values that trip naive copies: strings that look like numbers, nested objects, mixed keys.
const ROWS: Row[] = [
  { question: "2+2?", answer: "4", n: 4, ratio: 0.1, big: 12345678901234, neg: -0, flag: false, nothing: null },
  { question: "1", nested: { a: [1, "1", { b: null }], "key with space": "ü ✓ 日本" }, empty: "", list: [] },
  { other: "different keys per row", multiline: 'line 1\nline 2, with "quotes"' },
];

function localCsv(rootDir: string): Promise<StorageBackend> {
  return Promise.resolve(localCsvBackend.create(localCsvBackend.configSchema.parse({ rootDir })));
}

/** Every table of a project (internal run records included), read through the storage contract. */
async function snapshot(storage: StorageBackend, project: string): Promise<Record<string, unknown[]>> {
  const store = await storage.openProject(project, "open");
  const out: Record<string, unknown[]> = {};
  for (const kind of ["dataset", "experiment"] as TableKind[]) {
    for (const name of await store.listTables(kind)) out[`${kind}/${name}`] = await (await store.openTable(kind, name)).load();
  }
  return out;
}

describe("copyProject: local/csv -> memory -> local/csv", () => {
  it("round-trips every table exactly, row ids and run records included", async () => {
    const root = realpathSync(mkdtempSync(path.join(tmpdir(), "themis-copy-")));
    const source = await localCsv(path.join(root, "a"));
    const project = await Project.create("demo", source);
    const qa = await project.createDataset("qa");
    await qa.appendMany(ROWS);
    await project.runExperiment({ dataset: "qa", experiment: "echo", task: (row: Row) => ({ seen: row.question ?? null }), execution: "sequential" });
    await project.close();

    const memory = await memoryBackend.create({ namespace: `roundtrip-${Date.now()}` });
    const target = await localCsv(path.join(root, "b"));
    const there = await copyProject("demo", source, memory);
    expect(there.map((t) => `${t.kind}/${t.name}:${t.appended}`)).toEqual(expect.arrayContaining(["dataset/qa:3", "experiment/echo:3"]));
    const back = await copyProject("demo", memory, target);
    expect(back.every((t) => t.updated === 0 && t.unchanged === 0)).toBe(true);

    const original = await snapshot(source, "demo");
    expect(Object.keys(original)).toEqual(expect.arrayContaining(["dataset/qa", "experiment/echo", "experiment/__runs"]));
    expect(await snapshot(memory, "demo")).toEqual(original);
    expect(await snapshot(target, "demo")).toEqual(original);

    // A rerun changes nothing.
    const rerun = await copyProject("demo", memory, target);
    expect(rerun.every((t) => t.appended === 0 && t.updated === 0 && t.unchanged === t.rows)).toBe(true);
    expect(await snapshot(target, "demo")).toEqual(original);
    await Promise.all([source.close(), memory.close(), target.close()]);
  });

  it("reports progress and stops between batches when aborted", async () => {
    const memory = await memoryBackend.create({ namespace: `abort-${Date.now()}` });
    const p = await Project.create("big", memory);
    await (await p.createDataset("rows")).appendMany(Array.from({ length: 50 }, (_, i) => ({ i })));
    const target = await memoryBackend.create({ namespace: `abort-target-${Date.now()}` });
    const abort = new AbortController();
    const seen: number[] = [];
    await expect(
      copyProject("big", memory, target, {
        batchSize: 10,
        signal: abort.signal,
        onProgress: (progress) => {
          seen.push(progress.rows);
          if (progress.rows >= 20) abort.abort(new Error("stop"));
        },
      }),
    ).rejects.toThrow("stop");
    expect(seen).toEqual([10, 20]);
    const copied = await Project.open("big", target);
    expect(await (await copied.getDataset("rows")).load()).toHaveLength(20);
    // Rerun continues where it stopped.
    const rest = await copyProject("big", memory, target);
    expect(rest[0]).toMatchObject({ rows: 50, appended: 30, unchanged: 20 });
  });
});
