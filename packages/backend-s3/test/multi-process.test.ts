// Several processes on one table: concurrent appenders next to a compactor, and writers
// killed mid-upload. Runs the built package (dist/) in child processes.
import { ListMultipartUploadsCommand, type S3Client } from "@aws-sdk/client-s3";
import { Project, type StorageBackend } from "@themis/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createS3Storage } from "../src/index.js";
import { backendConfig, freshBucket, rawClient, s3Server } from "./support/env.js";
import { listKeys, readRawTable } from "./support/oracle.js";
import { Worker } from "./support/processes.js";

const server = s3Server();
let bucket = "";
let raw: S3Client;
let storage: StorageBackend;

beforeAll(async () => {
  if (!server) return;
  bucket = await freshBucket(server, "mp");
  raw = rawClient(server);
  storage = createS3Storage(backendConfig(server, bucket, { compactAfterSegments: 0 }));
});
afterAll(async () => {
  await storage?.close();
  raw?.destroy();
});

describe.skipIf(!server)("multi-process", () => {
  it("4 processes appending 2,000 rows each in batches of 50 while a fifth compacts: 8,000 rows, none lost or duplicated", async () => {
    const project = await Project.create("many_writers", storage);
    await project.createDataset("t");
    // Writers never compact themselves; the compactor deletes superseded objects at once
    // (no grace period), so writers with a stale tail are exercised too.
    const writerConfig = backendConfig(server!, bucket, { compactAfterSegments: 0 });
    const compactor = new Worker("compact-worker.ts", {
      config: backendConfig(server!, bucket, { gracePeriodMs: 0 }),
      project: "many_writers",
      table: "t",
    });
    const writers = [0, 1, 2, 3].map(
      (writer) => new Worker("append-worker.ts", { config: writerConfig, project: "many_writers", table: "t", writer, rows: 2000, batch: 50 }),
    );
    await Promise.all(writers.map((w) => w.succeeded()));
    compactor.child.stdin!.end();
    await compactor.succeeded();
    const { compactions } = JSON.parse(compactor.lines.at(-1)!) as { compactions: number };
    expect(compactions).toBeGreaterThan(0);

    const rows = await (await project.getDataset("t")).load();
    expect(rows).toHaveLength(8000);
    expect(new Set(rows.map((r) => r._row_id)).size).toBe(8000);
    for (let w = 0; w < 4; w++) {
      // Each writer's rows all arrived, in the order it appended them.
      expect(rows.filter((r) => r.writer === w).map((r) => r.i)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    }
    // Batches stay whole: the 50 rows of a batch are consecutive.
    const position = new Map(rows.map((r, i) => [r._row_id, i]));
    for (let w = 0; w < 4; w++) {
      for (let b = 0; b < 40; b++) expect(position.get(`w${w}-${b * 50 + 49}`)! - position.get(`w${w}-${b * 50}`)!).toBe(49);
    }
    // What reached the bucket says the same, read without the backend.
    const rawTable = (await readRawTable(raw, bucket, "", "many_writers", "dataset", "t"))!;
    expect([...rawTable.rows.keys()]).toEqual(rows.map((r) => r._row_id));
    expect(rawTable.manifest.generation).toBeGreaterThan(0);
    await project.close();
  });

  for (const variant of [
    { name: "small batches (one PUT each)", batch: 200, rowBytes: 0 },
    { name: "large batches (multipart upload)", batch: 60, rowBytes: 100_000 },
  ]) {
    it(`a writer killed mid-upload leaves the table readable with every acknowledged row: ${variant.name}`, async () => {
      const name = `killed_${variant.batch}`;
      const project = await Project.create(name, storage);
      const table = await project.createDataset("t");
      const config = backendConfig(server!, bucket, { compactAfterSegments: 0, partSizeBytes: 5 * 1024 * 1024 });
      const worker = new Worker("append-worker.ts", {
        config,
        project: name,
        table: "t",
        writer: 0,
        rows: 1_000_000,
        batch: variant.batch,
        rowBytes: variant.rowBytes,
      });
      // Kill it while its fourth batch is on the wire.
      await worker.waitFor((l) => l === "ack 2");
      await worker.waitFor((l) => l === "start 3");
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 30));
      worker.child.kill("SIGKILL");
      const { signal } = await worker.exited;
      expect(signal).toBe("SIGKILL");
      const acked = worker.lines.filter((l) => l.startsWith("ack ")).map((l) => Number(l.slice(4)));
      expect(acked.length).toBeGreaterThanOrEqual(3);

      const rows = await table.load();
      const batches = new Set(rows.map((r) => Math.floor(Number(r.i) / variant.batch)));
      for (const b of acked) expect(batches.has(b)).toBe(true);
      // Whole batches only, each row intact, no duplicates.
      expect(rows.length).toBe(batches.size * variant.batch);
      expect(new Set(rows.map((r) => r._row_id)).size).toBe(rows.length);
      expect(rows.map((r) => r.i)).toEqual(Array.from({ length: rows.length }, (_, i) => i));
      if (variant.rowBytes) expect(rows.every((r) => (r.pad as string).length === variant.rowBytes)).toBe(true);
      // The table takes new writes after the crash.
      await table.append({ _row_id: "after-crash", i: -1 });
      expect((await table.get("after-crash")).i).toBe(-1);
      // Deleting the table leaves nothing behind, unfinished multipart uploads included.
      await project.deleteDataset("t");
      expect(await listKeys(raw, bucket, `${name}/dataset/t/`)).toEqual([]);
      const uploads = await raw.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${name}/` }));
      expect(uploads.Uploads ?? []).toEqual([]);
      await project.close();
    });
  }
});
