import { afterAll, expect, it } from "vitest";
import { Project } from "@themis/core";
import { localCsvBackend } from "../src/index.js";
import { openProject, readCsvRaw, removeDir, tableFile, tempDir } from "./helpers.js";
import { startWriter } from "./processes.js";

const rootDir = tempDir();
afterAll(() => removeDir(rootDir));

it("4 processes appending 5,000 rows each to one table store 20,000 rows, none lost or doubled", { timeout: 180_000 }, async () => {
  const p = await Project.create("multi", localCsvBackend, { rootDir });
  await p.createDataset("shared");
  await p.close();

  // One-by-one appends: every row is its own locked write, the most contended case.
  const writers = ["a", "b", "c", "d"].map((prefix) =>
    startWriter({ rootDir, project: "multi", table: "shared", prefix, count: 5000, batchSize: 1, payloadBytes: 10 }),
  );
  const results = await Promise.all(writers.map((w) => w.exited));
  for (const r of results) expect(r, r.stderr).toMatchObject({ code: 0 });
  for (const w of writers) expect(w.acknowledged).toHaveLength(5000);

  const expected = writers.flatMap((w) => w.acknowledged);
  const check = (ids: string[]): void => {
    expect(ids).toHaveLength(20_000);
    expect(new Set(ids).size).toBe(20_000);
    expect([...ids].sort()).toEqual([...expected].sort());
  };
  // Through the backend...
  const reader = await openProject(rootDir, "multi");
  const rows = await (await reader.getDataset("shared")).load();
  await reader.close();
  check(rows.map((r) => r._row_id));
  // ...each writer's rows in the order it appended them...
  for (const prefix of ["a", "b", "c", "d"]) {
    const own = rows.filter((r) => r.who === prefix).map((r) => r.n);
    expect(own).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  }
  // ...and in the file itself, read by papaparse alone.
  check(readCsvRaw(tableFile(rootDir, "multi", "dataset", "shared"))!.map((r) => r._row_id!));
});
