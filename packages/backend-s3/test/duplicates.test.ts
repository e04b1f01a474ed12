// Appending a _row_id that exists: refused (ALREADY_EXISTS) on every path of the writer —
// racing writers, group commits, large batches (blobs), a PUT whose answer was lost.
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { StoredRow, TableStore } from "@themis/core";
import { describe, expect, it } from "vitest";
import type { S3Storage } from "../src/index.js";
import { encodeSegment } from "../src/segment-format.js";
import { rawClient, s3Server, useFreshBucket } from "./support/env.js";
import { listKeys, readRawTable } from "./support/oracle.js";

const server = s3Server();
let bucket = "";
let raw: S3Client;
const { backend } = useFreshBucket(server, "dup", (b, r) => {
  bucket = b;
  raw = r;
});
const table = async (storage: S3Storage, project: string, mode: "create" | "open" = "create"): Promise<TableStore> => {
  const p = await storage.openProject(project, mode);
  return mode === "create" ? p.createTable("dataset", "t") : p.openTable("dataset", "t");
};
const settled = async (promises: Promise<unknown>[]): Promise<string[]> =>
  (await Promise.allSettled(promises)).map((r) => (r.status === "fulfilled" ? "ok" : ((r.reason as { code?: string }).code ?? String(r.reason))));
const segmentKey = (project: string, tableId: string, seq: number): string => `${project}/dataset/t/${tableId}/seg/${String(seq).padStart(16, "0")}.jsonl`;

describe.skipIf(!server)("duplicate _row_id", () => {
  it("two writers racing to append one new id: one wins, the other gets ALREADY_EXISTS and stores nothing of its batch", async () => {
    const a = await table(backend(), "race");
    const b = await table(backend(), "race", "open");
    await a.append([{ _row_id: "seed" }]);
    await b.load(); // both know the tail: both try the same segment number
    for (let round = 0; round < 5; round++) {
      const outcomes = await settled([
        a.append([{ _row_id: `a${round}` }, { _row_id: `x${round}`, by: "a" }]),
        b.append([{ _row_id: `x${round}`, by: "b" }, { _row_id: `b${round}` }]),
      ]);
      expect(outcomes.sort()).toEqual(["ERR_THEMIS_ALREADY_EXISTS", "ok"]);
    }
    const reader = await table(backend(), "race", "open");
    const rows = await reader.load();
    expect(new Set(rows.map((r) => r._row_id)).size).toBe(rows.length);
    expect(rows).toHaveLength(1 + 5 * 2);
    for (let round = 0; round < 5; round++) {
      const winner = rows.find((r) => r._row_id === `x${round}`)!.by as string;
      const loser = winner === "a" ? "b" : "a";
      expect(rows.some((r) => r._row_id === `${winner}${round}`)).toBe(true);
      expect(rows.some((r) => r._row_id === `${loser}${round}`)).toBe(false);
    }
    expect([...(await readRawTable(raw, bucket, "", "race", "dataset", "t"))!.rows.keys()]).toEqual(rows.map((r) => r._row_id));
  });

  it("writes grouped in one segment are answered one by one: a refused append does not take the others down", async () => {
    const t = await table(backend(), "grouped");
    await t.append([{ _row_id: "taken", v: 1 }]);
    // The first append goes out alone; the next three queue behind it and share one segment.
    const outcomes = await settled([
      t.append([{ _row_id: "n1" }]),
      t.append([{ _row_id: "n2" }, { _row_id: "taken", v: 2 }]),
      t.append([{ _row_id: "n3" }]),
      t.append([{ _row_id: "n3" }]), // refused by the write queued just before it
    ]);
    expect(outcomes).toEqual(["ok", "ERR_THEMIS_ALREADY_EXISTS", "ok", "ERR_THEMIS_ALREADY_EXISTS"]);
    expect(await t.load()).toEqual([{ _row_id: "taken", v: 1 }, { _row_id: "n1" }, { _row_id: "n3" }]);
  });

  it("a large batch (blob) refused after losing its segment number to a writer of the same id: its blob goes, the rest of the group lands", async () => {
    const storage = backend({ partSizeBytes: 5 * 1024 * 1024 });
    const t = await table(storage, "large");
    await t.append([{ _row_id: "first" }]); // segment 1: this writer's tail
    const { manifest } = (await readRawTable(raw, bucket, "", "large", "dataset", "t"))!;
    // Another writer takes segment 3 with "x" behind this backend's back.
    await raw.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: segmentKey("large", manifest.tableId, 3),
        Body: encodeSegment("other-writer", [{ type: "append", id: "x", line: '{"_row_id":"x","by":"other"}' }]),
      }),
    );
    const pad = "p".repeat(100_000);
    const big: StoredRow[] = Array.from({ length: 60 }, (_, i) => ({ _row_id: `big-${i}`, pad }));
    const outcomes = await settled([
      t.append([{ _row_id: "second" }]), // segment 2; the two below queue behind it
      t.append([{ _row_id: "x", by: "me" }, { _row_id: "mine" }]),
      t.append(big),
    ]);
    expect(outcomes).toEqual(["ok", "ERR_THEMIS_ALREADY_EXISTS", "ok"]);
    const rows = await (await table(backend(), "large", "open")).load();
    expect(rows.map((r) => r._row_id)).toEqual(["first", "second", "x", ...big.map((r) => r._row_id)]);
    expect(rows[2]).toEqual({ _row_id: "x", by: "other" });
    // The blob uploaded for the first plan (with "x" and "mine") was replaced and removed.
    expect(await listKeys(raw, bucket, `large/dataset/t/${manifest.tableId}/blob/`)).toHaveLength(1);
  });

  it("a segment PUT that landed but was answered as a lost race is recognised by its writeId, not refused as ALREADY_EXISTS", async () => {
    const client = rawClient(server!);
    let faked = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const out = await next(args);
        if (context.commandName === "PutObjectCommand" && String((args.input as { Key?: string }).Key).includes("/seg/") && faked === 0) {
          faked++;
          throw Object.assign(new Error("At least one of the pre-conditions you specified did not hold"), {
            name: "PreconditionFailed",
            $metadata: { httpStatusCode: 412, attempts: 1 },
          });
        }
        return out;
      },
      { step: "finalizeRequest", name: "loseAnswer" },
    );
    try {
      const t = await table(backend({ client }), "landed");
      await t.append([{ _row_id: "r1", v: 1 }]);
      expect(faked).toBe(1);
      await t.append([{ _row_id: "r2", v: 2 }]);
      expect(await t.load()).toEqual([
        { _row_id: "r1", v: 1 },
        { _row_id: "r2", v: 2 },
      ]);
      expect((await readRawTable(raw, bucket, "", "landed", "dataset", "t"))!.segments).toHaveLength(2);
    } finally {
      client.destroy();
    }
  });

  it("a writer folds in what other writers appended across a compaction, and refuses their ids", async () => {
    const writer = backend();
    const t = await table(writer, "catch_up");
    await t.append([{ _row_id: "a" }]);
    const compactor = backend();
    const other = await table(compactor, "catch_up", "open");
    await other.append([{ _row_id: "b" }]);
    await compactor.compact("catch_up", "dataset", "t");
    await other.append([{ _row_id: "c" }]);
    await expect(t.append([{ _row_id: "b" }])).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
    await t.append([{ _row_id: "d" }]);
    expect((await t.load()).map((r) => r._row_id)).toEqual(["a", "b", "c", "d"]);
    expect((await other.load()).map((r) => r._row_id)).toEqual(["a", "b", "c", "d"]);
  });
});
