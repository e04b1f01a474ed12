// A writer past its row cache keeps only id fingerprints: every guarantee holds on a real server.
import type { S3Client } from "@aws-sdk/client-s3";
import { Project, type StoredRow } from "@themis/core";
import { describe, expect, it } from "vitest";
import { Layout } from "../src/layout.js";
import { parseManifest } from "../src/manifest.js";
import { ObjectStore } from "../src/object-store.js";
import { TableLog } from "../src/table-log.js";
import { TableReader } from "../src/table-reader.js";
import { s3Server, useFreshBucket } from "./support/env.js";
import { collect } from "./support/collect.js";

const server = s3Server();
let bucket = "";
let raw: S3Client;
const { backend } = useFreshBucket(server, "big", (b, r) => {
  bucket = b;
  raw = r;
});
const options = { compactAfterSegments: 0, gracePeriodMs: 3_600_000, maxConflictRetries: 10 };

describe.skipIf(!server)("a table past the row cache", () => {
  it("refuses duplicates exactly, updates, deletes, gets and streams with only ids in memory", async () => {
    const storage = backend();
    const project = await Project.create("big", storage);
    const table = await project.createDataset("t");
    const ids = await table.appendMany(Array.from({ length: 30 }, (_, i) => ({ i })));
    await storage.compact("big", "dataset", "t");
    ids.push(...(await table.appendMany(Array.from({ length: 10 }, (_, i) => ({ i: 30 + i })))));

    // A log keeping rows only up to 5: a second writer on the same table, past its cache.
    const paths = new Layout("").table("big", "dataset", "t");
    const log = new TableLog(new ObjectStore(raw, bucket, 4, 8 << 20), paths, "dataset t", { ...options, cacheRows: 5 });
    const dup: StoredRow = { _row_id: ids[33]!, i: -1 };
    await expect(log.append([{ _row_id: "fresh-1", i: 40 }, dup])).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
    await expect(log.append([{ _row_id: ids[3]!, i: -1 }])).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
    await log.append([{ _row_id: "fresh-1", i: 40 }]);
    await log.update({ _row_id: ids[2]!, i: 2, edited: true });
    await log.delete(ids[35]!);
    await log.delete(ids[4]!);
    await log.append([{ _row_id: ids[4]!, i: 4, again: true }]); // deleted, then appended again: goes last
    await expect(log.update({ _row_id: "nobody", i: 0 })).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
    await expect(log.delete("nobody")).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });

    expect(await log.get(ids[2]!)).toEqual({ _row_id: ids[2]!, i: 2, edited: true });
    expect(await log.get(ids[35]!)).toBeUndefined();
    expect(await log.get("nobody")).toBeUndefined();
    const expected = [
      ...ids.filter((_id, i) => i !== 4 && i !== 35).map((id) => ({ _row_id: id, i: ids.indexOf(id), ...(id === ids[2] ? { edited: true } : {}) })),
      { _row_id: "fresh-1", i: 40 },
      { _row_id: ids[4]!, i: 4, again: true },
    ];
    expect(await log.load()).toEqual(expected);
    expect(await collect(log.entries())).toEqual(expected);
    // The backend's own writer (rows in its cache) sees the same table.
    expect(await table.load()).toEqual(expected);
    await log.idle();
  });

  it("in one segment past the cache, a confirmed duplicate append does not make an update or delete beside it NOT_FOUND", async () => {
    const storage = backend();
    const project = await Project.create("mixed", storage);
    const table = await project.createDataset("t");
    const ids = await table.appendMany(Array.from({ length: 10 }, (_, i) => ({ i })));
    const paths = new Layout("").table("mixed", "dataset", "t");
    const log = new TableLog(new ObjectStore(raw, bucket, 4, 8 << 20), paths, "dataset t", { ...options, cacheRows: 5 });
    // The first append goes out alone; the next three queue behind it and share one segment,
    // where every stored id is an IdSet "maybe": the appended one is confirmed, the others trusted.
    const outcomes = await Promise.allSettled([
      log.append([{ _row_id: "lead", i: 10 }]),
      log.append([{ _row_id: ids[5]!, i: -1 }]),
      log.update({ _row_id: ids[6]!, i: 6, edited: true }),
      log.delete(ids[7]!),
    ]);
    expect(outcomes.map((o) => (o.status === "fulfilled" ? "ok" : (o.reason as { code?: string }).code))).toEqual([
      "ok",
      "ERR_THEMIS_ALREADY_EXISTS",
      "ok",
      "ok",
    ]);
    const rows = await table.load();
    expect(rows.find((r) => r._row_id === ids[6])).toEqual({ _row_id: ids[6], i: 6, edited: true });
    expect(rows.map((r) => r._row_id)).toEqual([...ids.filter((id) => id !== ids[7]), "lead"]);
    await log.idle();
  });

  it("a streamed fold reads the tail twice when it does not keep it, with the same rows", async () => {
    const storage = backend();
    const project = await Project.create("twice", storage);
    const table = await project.createDataset("t");
    const ids = await table.appendMany([{ i: 0 }, { i: 1 }, { i: 2 }]);
    await storage.compact("twice", "dataset", "t");
    await table.appendMany([{ i: 3 }]);
    await table.delete(ids[1]!);
    await table.update(ids[0]!, { i: 0, edited: true });
    await table.append({ _row_id: ids[1]!, i: 1, again: true });
    await table.delete(ids[1]!);
    await table.append({ _row_id: ids[1]!, i: 1, third: true });

    const paths = new Layout("").table("twice", "dataset", "t");
    const store = new ObjectStore(raw, bucket, 4, 8 << 20);
    const got = await store.getText(paths.manifest);
    if (got === undefined || got === "unchanged") throw new Error("the table has no manifest");
    const manifest = parseManifest(got.body, "test");
    for (const keep of [0, 1 << 20]) {
      const reader = new TableReader(store, paths, "t", keep);
      const lines = (await collect(reader.fold(manifest, await reader.segmentsAfter(manifest.tableId, manifest.upTo)))).flat();
      expect(lines.map((l) => JSON.parse(l) as StoredRow)).toEqual([
        { _row_id: ids[0], i: 0, edited: true },
        { _row_id: ids[2], i: 2 },
        expect.objectContaining({ i: 3 }),
        { _row_id: ids[1], i: 1, third: true },
      ]);
    }
  });
});
