// The log layout on a real server: compaction, grace periods, stale writers, large batches.
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { Project, type StoredRow } from "@themis/core";
import { describe, expect, it } from "vitest";
import { createS3Storage } from "../src/index.js";
import { encodeSegment } from "../src/segment-format.js";
import { backendConfig, s3Server, useFreshBucket } from "./support/env.js";
import { collect } from "./support/collect.js";
import { listKeys, readRawTable } from "./support/oracle.js";

const server = s3Server();
let bucket = "";
let raw: S3Client;
const { backend } = useFreshBucket(server, "cmp", (b, r) => {
  bucket = b;
  raw = r;
});
const rawIds = async (project: string, table = "t"): Promise<string[]> => [...(await readRawTable(raw, bucket, "", project, "dataset", table))!.rows.keys()];

describe.skipIf(!server)("compaction", () => {
  it("appendMany of N rows writes one object; load and entries() read base + tail the same way", async () => {
    const storage = backend();
    const project = await Project.create("fold", storage);
    const t = await project.createDataset("t");
    const ids = await t.appendMany(Array.from({ length: 500 }, (_, i) => ({ i })));
    const { manifest, segments } = (await readRawTable(raw, bucket, "", "fold", "dataset", "t"))!;
    expect(segments).toHaveLength(1);

    await t.appendMany([{ i: 500 }, { i: 501 }]);
    expect(await storage.compact("fold", "dataset", "t")).toMatchObject({ compacted: true, segments: 2, rows: 502 });
    // Patches against base rows and the tail, in a tail that follows the base.
    await t.update(ids[3]!, { i: 3, patched: true });
    await t.delete(ids[4]!);
    await t.delete(ids[5]!);
    await t.append({ _row_id: ids[5]!, i: 5, back: true }); // deleted, then appended again: goes last
    // Appended again while present (in the base): refused, the stored row stays.
    await expect(t.append({ _row_id: ids[6]!, i: 6, replaced: true })).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS", backend: "s3" });
    const extra = await t.append({ i: 502 });
    await t.update(extra, { i: 502, patched: true });

    const loaded = await t.load();
    const expected: StoredRow[] = [...ids.slice(0, 500).map((id, i) => ({ _row_id: id, i }))];
    expected[3] = { _row_id: ids[3]!, i: 3, patched: true };
    const tailRows = loaded.slice(498);
    expect(loaded.slice(0, 3)).toEqual(expected.slice(0, 3));
    expect(loaded[3]).toEqual(expected[3]);
    expect(loaded[4]).toEqual({ _row_id: ids[6]!, i: 6 });
    expect(loaded.map((r) => r.i).slice(0, 10)).toEqual([0, 1, 2, 3, 6, 7, 8, 9, 10, 11]);
    expect(tailRows.map((r) => r.i)).toEqual([500, 501, 5, 502]);
    expect(loaded.at(-2)).toEqual({ _row_id: ids[5], i: 5, back: true });
    expect(loaded.at(-1)).toEqual({ _row_id: extra, i: 502, patched: true });
    expect(await collect(t.entries())).toEqual(loaded);
    expect(await rawIds("fold")).toEqual(loaded.map((r) => r._row_id));

    // A fresh backend (cold cache) reads the same; so does the next compaction.
    const other = await Project.open("fold", backend());
    expect(await (await other.getDataset("t")).load()).toEqual(loaded);
    expect(await storage.compact("fold", "dataset", "t")).toMatchObject({ compacted: true, rows: loaded.length });
    expect(await t.load()).toEqual(loaded);
    expect(await collect(t.entries())).toEqual(loaded);
    const after = (await readRawTable(raw, bucket, "", "fold", "dataset", "t"))!;
    expect(after.manifest.generation).toBe(manifest.generation + 2);
    expect(after.segments).toEqual([]);
    expect(await storage.compact("fold", "dataset", "t")).toMatchObject({ compacted: false });
    await other.close();
    await project.close();
  });

  it("entries() can be left early, and read again", async () => {
    const storage = backend();
    const project = await Project.create("early_exit", storage);
    const t = await project.createDataset("t");
    await t.appendMany(Array.from({ length: 3000 }, (_, i) => ({ i, s: "x".repeat(100) })));
    await storage.compact("early_exit", "dataset", "t");
    await t.append({ i: 3000 });
    const seen: number[] = [];
    for await (const row of t.entries()) {
      seen.push(row.i as number);
      if (seen.length === 5) break;
    }
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    const iterator = t.entries()[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ i: 0 });
    await iterator.return?.(undefined);
    expect((await collect(t.entries())).map((r) => r.i)).toEqual(Array.from({ length: 3001 }, (_, i) => i));
    await project.close();
  });

  it("keeps superseded objects for the grace period, then deletes them", async () => {
    const keeps = backend({ gracePeriodMs: 3_600_000 });
    const project = await Project.create("grace", keeps);
    const t = await project.createDataset("t");
    for (let i = 0; i < 3; i++) await t.append({ i });
    const { manifest } = (await readRawTable(raw, bucket, "", "grace", "dataset", "t"))!;
    const segPrefix = `grace/dataset/t/${manifest.tableId}/seg/`;
    const basePrefix = `grace/dataset/t/${manifest.tableId}/base/`;
    await keeps.compact("grace", "dataset", "t");
    await t.append({ i: 3 });
    await keeps.compact("grace", "dataset", "t");
    // Within the grace period nothing is deleted: a reader that started before can finish.
    expect(await listKeys(raw, bucket, segPrefix)).toHaveLength(4);
    expect(await listKeys(raw, bucket, basePrefix)).toHaveLength(2);
    await t.append({ i: 4 });
    // With no grace period the next compaction deletes everything superseded.
    const sweeps = backend({ gracePeriodMs: 0 });
    expect((await sweeps.compact("grace", "dataset", "t")).deletedObjects).toBe(5);
    expect(await listKeys(raw, bucket, segPrefix)).toHaveLength(1);
    expect(await listKeys(raw, bucket, basePrefix)).toHaveLength(2);
    await t.append({ i: 5 });
    await sweeps.compact("grace", "dataset", "t");
    expect(await listKeys(raw, bucket, segPrefix)).toHaveLength(1);
    expect(await listKeys(raw, bucket, basePrefix)).toHaveLength(2);
    expect((await t.load()).map((r) => r.i)).toEqual([0, 1, 2, 3, 4, 5]);
    await project.close();
  });

  it("a writer whose segment number was compacted away meanwhile writes above the compacted range", async () => {
    // No grace period: the stale writer checks the manifest after each write.
    const stale = backend({ gracePeriodMs: 0 });
    const busy = backend({ gracePeriodMs: 0 });
    const a = await Project.create("stale", stale);
    const ta = await a.createDataset("t");
    await ta.append({ _row_id: "a1" }); // stale's tail: segment 1
    const b = await Project.open("stale", busy);
    const tb = await b.getDataset("t");
    await tb.append({ _row_id: "b2" });
    await busy.compact("stale", "dataset", "t");
    await tb.append({ _row_id: "b3" });
    await busy.compact("stale", "dataset", "t"); // deletes segments 1 and 2
    await ta.append({ _row_id: "a4" }); // segment 2 is free again, but compacted: must land above
    expect((await tb.load()).map((r) => r._row_id)).toEqual(["a1", "b2", "b3", "a4"]);
    expect(await rawIds("stale")).toEqual(["a1", "b2", "b3", "a4"]);
    await a.close();
    await b.close();
  });

  it("two compactors at once: both may finish, rows stay exactly the same", async () => {
    const writer = backend();
    const project = await Project.create("two_compactors", writer);
    const t = await project.createDataset("t");
    for (let i = 0; i < 10; i++) await t.appendMany([{ i: 2 * i }, { i: 2 * i + 1 }]);
    const before = await t.load();
    const results = await Promise.all([
      backend().compact("two_compactors", "dataset", "t"),
      backend().compact("two_compactors", "dataset", "t"),
      t.append({ i: 20 }),
    ]);
    expect(results.filter((r) => typeof r === "object" && r.compacted).length).toBeGreaterThanOrEqual(1);
    const after = await t.load();
    expect(after.slice(0, 20)).toEqual(before);
    expect(after.map((r) => r.i)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    // A loser removes its base: besides the current base, only older generations (retired,
    // waiting for the grace period) remain.
    const { manifest } = (await readRawTable(raw, bucket, "", "two_compactors", "dataset", "t"))!;
    const bases = await listKeys(raw, bucket, `two_compactors/dataset/t/${manifest.tableId}/base/`);
    const generation = (key: string) => Number(/base\/(\d+)-/.exec(key)![1]);
    expect(bases).toContain(manifest.base!.key);
    expect(bases.filter((k) => k !== manifest.base!.key).every((k) => generation(k) < manifest.generation)).toBe(true);
    await project.close();
  });

  it("compacts in the background every compactAfterSegments segments", async () => {
    const auto = createS3Storage(backendConfig(server!, bucket, { compactAfterSegments: 3 }));
    const project = await Project.create("auto", auto);
    const t = await project.createDataset("t");
    for (let i = 0; i < 7; i++) await t.append({ i });
    await project.close();
    await auto.close(); // waits for a running background compaction
    const rawTable = (await readRawTable(raw, bucket, "", "auto", "dataset", "t"))!;
    expect(rawTable.manifest.generation).toBeGreaterThanOrEqual(1);
    expect(rawTable.manifest.upTo).toBeGreaterThanOrEqual(3);
    expect([...rawTable.rows.values()].map((r) => r.i)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it("a batch larger than one part goes up as a multipart blob, read and compacted like any segment", async () => {
    const storage = backend({ partSizeBytes: 5 * 1024 * 1024, gracePeriodMs: 0 });
    const project = await Project.create("big", storage);
    const t = await project.createDataset("t");
    const pad = "é".repeat(50_000); // 100 kB of UTF-8 per row: 6 MB per batch
    await t.appendMany(Array.from({ length: 60 }, (_, i) => ({ i, pad })));
    await t.append({ i: 60 });
    const { manifest } = (await readRawTable(raw, bucket, "", "big", "dataset", "t"))!;
    const blobs = `big/dataset/t/${manifest.tableId}/blob/`;
    expect(await listKeys(raw, bucket, blobs)).toHaveLength(1);
    const rows = await t.load();
    expect(rows.map((r) => r.i)).toEqual(Array.from({ length: 61 }, (_, i) => i));
    expect(rows.slice(0, 60).every((r) => r.pad === pad)).toBe(true);
    await storage.compact("big", "dataset", "t");
    await t.append({ i: 61 });
    await storage.compact("big", "dataset", "t"); // no grace: the first compaction's leftovers go
    expect(await listKeys(raw, bucket, blobs)).toEqual([]);
    expect((await collect(t.entries())).map((r) => r.i)).toEqual(Array.from({ length: 62 }, (_, i) => i));
    await project.close();
  });

  it("a deleted and re-created table starts empty even while old objects remain", async () => {
    const storage = backend();
    const project = await Project.create("recreate", storage);
    const t = await project.createDataset("t");
    await t.appendMany([{ old: 1 }, { old: 2 }]);
    const stale = await Project.open("recreate", backend());
    const staleTable = await stale.getDataset("t");
    expect(await staleTable.load()).toHaveLength(2);
    await project.deleteDataset("t");
    const fresh = await project.createDataset("t");
    expect(await fresh.load()).toEqual([]);
    // A handle opened before follows the table by name: it sees the new, empty one.
    expect(await staleTable.load()).toEqual([]);
    await stale.close();
    await project.close();
  });

  it("reads a table of more segments than one listing page holds (ContinuationToken)", async () => {
    const storage = backend();
    const project = await Project.create("many_segments", storage);
    const t = await project.createDataset("t");
    await t.append({ _row_id: "r1", i: 1 });
    const { manifest } = (await readRawTable(raw, bucket, "", "many_segments", "dataset", "t"))!;
    // Segments 2..1100 written straight to the bucket, as 1,099 other writers would have.
    const n = 1100;
    const seqs = Array.from({ length: n - 1 }, (_, k) => k + 2);
    for (let k = 0; k < seqs.length; k += 100) {
      await Promise.all(
        seqs.slice(k, k + 100).map((seq) =>
          raw.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: `many_segments/dataset/t/${manifest.tableId}/seg/${String(seq).padStart(16, "0")}.jsonl`,
              Body: encodeSegment(`w${seq}`, [{ type: "append", id: `r${seq}`, line: JSON.stringify({ _row_id: `r${seq}`, i: seq }) }]),
            }),
          ),
        ),
      );
    }
    const fresh = await (await Project.open("many_segments", backend())).getDataset("t");
    expect((await fresh.load()).map((r) => r.i)).toEqual(Array.from({ length: n }, (_, k) => k + 1));
    // The writer that knew only segment 1 finds the tail past the first page.
    await t.append({ _row_id: "last", i: n + 1 });
    const after = await fresh.load(); // incremental: only the new segment is fetched
    expect(after).toHaveLength(n + 1);
    expect(after.at(-1)).toEqual({ _row_id: "last", i: n + 1 });
    await project.close();
  });

  it("creating a table removes what a crashed delete of an earlier one left behind", async () => {
    const storage = backend();
    const project = await Project.create("leftovers", storage);
    const leftover = `leftovers/dataset/t/0123456789ab/seg/${"1".padStart(16, "0")}.jsonl`;
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: leftover, Body: "from a table whose delete crashed\n" }));
    expect(await project.listDatasets()).toEqual([]);
    const t = await project.createDataset("t");
    expect(await t.load()).toEqual([]);
    expect(await listKeys(raw, bucket, "leftovers/dataset/t/0123456789ab/")).toEqual([]);
    await project.close();
  });

  it("close() waits for writes still queued", async () => {
    const storage = createS3Storage(backendConfig(server!, bucket));
    const t = await (await storage.openProject("close_waits", "create")).createTable("dataset", "t");
    // Through the backend's own interface: the writes are queued before close() is called.
    const pending = [
      t.append([{ _row_id: "a", i: 0 }]),
      t.append([
        { _row_id: "b", i: 1 },
        { _row_id: "c", i: 2 },
      ]),
      t.append([{ _row_id: "d", i: 3 }]),
    ];
    await storage.close();
    await Promise.all(pending);
    const reader = await Project.open("close_waits", backend());
    expect((await (await reader.getDataset("t")).load()).map((r) => r.i)).toEqual([0, 1, 2, 3]);
    await reader.close();
  });
});
