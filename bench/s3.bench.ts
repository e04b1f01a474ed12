// Benchmark of the "s3" storage backend beside the raw SDK (the practical limit): the same
// bytes PUT and GET with @aws-sdk/client-s3 directly, with the same parallelism.
//
//   node bench/s3.bench.ts              BENCH_SCALE=small (default): 10k batch rows, 200 single appends
//   BENCH_SCALE=full node bench/s3.bench.ts       the issue's sizes: 100k rows in batches of 1,000, 1k singles
//
// S3_ENDPOINT (+ S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY) points at an existing server;
// otherwise a single-node Ceph radosgw is started on free loopback ports when the Debian
// packages are installed, else the bench is skipped. Figures are printed, never asserted on.
import { randomBytes } from "node:crypto";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Project } from "@themis/core";
import { createS3Storage } from "@themis/backend-s3";
import { Radosgw, radosgwMissing } from "../packages/backend-s3/test/support/radosgw.ts";
import { shortRows } from "./support/rows.ts";

const full = process.env.BENCH_SCALE === "full";
const BATCH_ROWS = full ? 100_000 : 10_000;
const BATCH = 1_000;
const SINGLE_ROWS = full ? 1_000 : 200;
const CONCURRENCY = 16; // the backend's default read parallelism; the raw baseline uses the same

let server: Radosgw | undefined;
let endpoint = process.env.S3_ENDPOINT;
let accessKeyId = process.env.S3_ACCESS_KEY_ID ?? "";
let secretAccessKey = process.env.S3_SECRET_ACCESS_KEY ?? "";
if (!endpoint) {
  const missing = radosgwMissing();
  if (missing) {
    console.log(`s3 bench skipped: ${missing}, and S3_ENDPOINT is not set`);
    process.exit(0);
  }
  console.log("starting a single-node Ceph radosgw ...");
  server = await Radosgw.start();
  ({ endpoint, accessKeyId, secretAccessKey } = server.info);
}

const raw = new S3Client({
  endpoint,
  region: "us-east-1",
  forcePathStyle: true,
  credentials: { accessKeyId, secretAccessKey },
  requestChecksumCalculation: "WHEN_REQUIRED",
  responseChecksumValidation: "WHEN_REQUIRED",
});
const bucket = `themis-bench-${randomBytes(4).toString("hex")}`;
await raw.send(new CreateBucketCommand({ Bucket: bucket }));
// The first PUT into a new radosgw creates its data pools (~2 s): not part of any figure.
await raw.send(new PutObjectCommand({ Bucket: bucket, Key: "warmup", Body: "x" }));

const storage = createS3Storage({ bucket, endpoint, credentials: { accessKeyId, secretAccessKey }, concurrency: CONCURRENCY, compactAfterSegments: 0 });

async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}
async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}
const results: { what: string; ms: number; rows: number; rawMs: number }[] = [];
const report = (what: string, n: number, ms: number, rawMs: number): void => {
  results.push({ what, ms, rows: n, rawMs });
  const rate = (m: number) => Math.round((n / m) * 1000).toLocaleString("en-US");
  console.log(
    `${what.padEnd(44)} themis ${ms.toFixed(0).padStart(7)} ms ${rate(ms).padStart(9)} rows/s | raw ${rawMs.toFixed(0).padStart(7)} ms ${rate(rawMs).padStart(9)} rows/s | ${(rawMs / ms).toFixed(2)}x raw`,
  );
};

try {
  const project = await Project.create("bench", storage);
  const table = await project.createDataset("batches");
  const batches = Array.from({ length: BATCH_ROWS / BATCH }, (_, b) => shortRows(BATCH, b * BATCH));

  // appendMany in batches of 1,000, one after another, vs one raw PUT per batch of the same
  // rows as JSON lines (serialised inside the timing, as a hand-written loop would).
  // Interleaved batch by batch, so both see the same server and machine load.
  const rawKeys = batches.map((_, b) => `raw/batch-${String(b).padStart(6, "0")}.jsonl`);
  let oursMs = 0;
  let rawMs = 0;
  // The backend alone, through its TableStore (what @themis/core's Table calls after it has
  // validated and copied every row), to tell the backend's cost from core's.
  const store = await (await storage.openProject("bench", "open")).createTable("dataset", "store_only");
  let storeMs = 0;
  for (let b = 0; b < batches.length; b++) {
    oursMs += (await time(() => table.appendMany(batches[b]!))).ms;
    storeMs += (await time(() => store.append(batches[b]!.map((r, i) => ({ _row_id: `s-${b}-${i}`, ...r }))))).ms;
    rawMs += (
      await time(async () => {
        const body = `${batches[b]!.map((r, i) => JSON.stringify({ _row_id: `id-${b}-${i}`, ...r })).join("\n")}\n`;
        await raw.send(new PutObjectCommand({ Bucket: bucket, Key: rawKeys[b], Body: body }));
      })
    ).ms;
  }
  report(`appendMany ${BATCH_ROWS.toLocaleString("en-US")} rows (batches of ${BATCH})`, BATCH_ROWS, oursMs, rawMs);
  report(`  the same, backend only (TableStore.append)`, BATCH_ROWS, storeMs, rawMs);

  // load: every segment fetched with bounded parallelism vs raw GETs + JSON.parse with the
  // same parallelism. Each side three times, interleaved; the median is reported.
  const opener = () => createS3Storage({ bucket, endpoint, credentials: { accessKeyId, secretAccessKey }, concurrency: CONCURRENCY });
  const fresh = async () => (await Project.open("bench", opener())).getDataset("batches");
  const rawGetAll = async (keys: string[]) => {
    const out: unknown[][] = new Array(keys.length);
    await mapLimit(
      keys.map((k, i) => [k, i] as const),
      CONCURRENCY,
      async ([Key, i]) => {
        const text = await (await raw.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body!.transformToString();
        out[i] = text
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l));
      },
    );
    return out.flat();
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  // "Cold": a new backend instance each time (no cached rows), opened outside the timing,
  // as the raw client is already connected.
  const compare = async (ours: (table: Awaited<ReturnType<typeof fresh>>) => Promise<unknown[]>, baseline: () => Promise<unknown[]>) => {
    const o: number[] = [];
    const r: number[] = [];
    for (let k = 0; k < 3; k++) {
      const table = await fresh();
      const a = await time(() => ours(table));
      if (a.value.length !== BATCH_ROWS) throw new Error(`read ${a.value.length} rows, expected ${BATCH_ROWS}`);
      o.push(a.ms);
      r.push((await time(baseline)).ms);
    }
    return { ours: median(o), raw: median(r) };
  };
  const cold = await compare(
    (t) => t.load(),
    () => rawGetAll(rawKeys),
  );
  report(`load ${BATCH_ROWS.toLocaleString("en-US")} rows (${rawKeys.length} segments, cold)`, BATCH_ROWS, cold.ours, cold.raw);

  // After compaction: one base object, streamed, vs one raw GET of the same bytes.
  const compaction = await time(() => storage.compact("bench", "dataset", "batches"));
  console.log(`compact ${BATCH_ROWS.toLocaleString("en-US")} rows into one base: ${compaction.ms.toFixed(0)} ms`);
  const oneBody = `${batches
    .flat()
    .map((r, i) => JSON.stringify({ _row_id: `id-${i}`, ...r }))
    .join("\n")}\n`;
  await raw.send(new PutObjectCommand({ Bucket: bucket, Key: "raw/one.jsonl", Body: oneBody }));
  const compacted = await compare(
    (t) => t.load(),
    () => rawGetAll(["raw/one.jsonl"]),
  );
  report(`load ${BATCH_ROWS.toLocaleString("en-US")} rows (compacted base, cold)`, BATCH_ROWS, compacted.ours, compacted.raw);
  const streamed = await compare(
    async (t) => {
      const out: unknown[] = [];
      for await (const r of t.entries()) out.push(r);
      return out;
    },
    () => rawGetAll(["raw/one.jsonl"]),
  );
  report(`entries() ${BATCH_ROWS.toLocaleString("en-US")} rows (compacted base, cold)`, BATCH_ROWS, streamed.ours, streamed.raw);

  // Single appends, one after another, vs one raw PUT per row; interleaved row by row.
  const singles = await project.createDataset("singles");
  const one = shortRows(SINGLE_ROWS, 0);
  let singleMs = 0;
  let rawSingleMs = 0;
  for (let i = 0; i < one.length; i++) {
    singleMs += (await time(() => singles.append(one[i]!))).ms;
    rawSingleMs += (await time(() => raw.send(new PutObjectCommand({ Bucket: bucket, Key: `raw/single-${i}`, Body: JSON.stringify(one[i]) })))).ms;
  }
  report(`append ${SINGLE_ROWS.toLocaleString("en-US")} single rows`, SINGLE_ROWS, singleMs, rawSingleMs);
  await project.close();
  console.log(`\nscale: ${full ? "full" : "small"} (BENCH_SCALE=full for the issue's sizes); server: ${server ? "radosgw started by the bench" : endpoint}`);
} finally {
  await storage.close();
  raw.destroy();
  await server?.stop();
}
