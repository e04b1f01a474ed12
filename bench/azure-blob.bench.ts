// Benchmark of the "azure-blob" storage backend beside the raw SDK (the practical limit): the
// same bytes uploaded and downloaded with @azure/storage-blob directly, same parallelism.
//
//   node bench/azure-blob.bench.ts                  BENCH_SCALE=small (default): 10k rows in batches of 1,000
//   BENCH_SCALE=full node bench/azure-blob.bench.ts the issue's size: 100k rows
//
// AZURE_STORAGE_CONNECTION_STRING points at an existing service; otherwise Azurite (the
// azurite devDependency of the package) is started on a free loopback port. Figures are
// printed, never asserted on.
import { randomBytes } from "node:crypto";
import { BlobServiceClient } from "@azure/storage-blob";
import { Project } from "@themis/core";
import { createAzureBlobStorage } from "@themis/backend-azure-blob";
import { Azurite, azuriteMissing } from "../packages/backend-azure-blob/test/support/azurite.ts";
import { shortRows } from "./support/rows.ts";

const full = process.env.BENCH_SCALE === "full";
const ROWS = full ? 100_000 : 10_000;
const BATCH = 1_000;
const CONCURRENCY = 16; // the backend's default read parallelism; the raw baseline uses the same

let server: Azurite | undefined;
let connectionString = process.env.AZURE_STORAGE_CONNECTION_STRING;
if (!connectionString) {
  const missing = azuriteMissing();
  if (missing) {
    console.log(`azure-blob bench skipped: ${missing}, and AZURE_STORAGE_CONNECTION_STRING is not set`);
    process.exit(0);
  }
  server = await Azurite.start();
  connectionString = server.connectionString;
}
const container = `themis-bench-${randomBytes(4).toString("hex")}`;
const raw = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container);
await raw.create();
const storage = createAzureBlobStorage({ container, connectionString, concurrency: CONCURRENCY });

async function time<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}
const report = (what: string, n: number, ms: number, rawMs: number): void => {
  const rate = (m: number) => Math.round((n / m) * 1000).toLocaleString("en-US");
  console.log(
    `${what.padEnd(44)} themis ${ms.toFixed(0).padStart(7)} ms ${rate(ms).padStart(9)} rows/s | raw ${rawMs.toFixed(0).padStart(7)} ms ${rate(rawMs).padStart(9)} rows/s | ${(rawMs / ms).toFixed(2)}x raw`,
  );
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

try {
  const project = await Project.create("bench", storage);
  const table = await project.createDataset("batches");
  const batches = Array.from({ length: ROWS / BATCH }, (_, b) => shortRows(BATCH, b * BATCH));
  const rawNames = batches.map((_, b) => `raw/batch-${String(b).padStart(6, "0")}.jsonl`);

  // appendMany in batches of 1,000 vs one raw upload per batch of the same rows as JSON lines
  // (serialised inside the timing, as a hand-written loop would). Interleaved batch by batch.
  let oursMs = 0;
  let rawMs = 0;
  for (let b = 0; b < batches.length; b++) {
    oursMs += (await time(() => table.appendMany(batches[b]!))).ms;
    rawMs += (
      await time(async () => {
        const body = `${batches[b]!.map((r, i) => JSON.stringify({ _row_id: `id-${b}-${i}`, ...r })).join("\n")}\n`;
        await raw.getBlockBlobClient(rawNames[b]!).upload(body, Buffer.byteLength(body));
      })
    ).ms;
  }
  report(`appendMany ${ROWS.toLocaleString("en-US")} rows (batches of ${BATCH})`, ROWS, oursMs, rawMs);

  // load with a new backend instance vs raw downloads + JSON.parse, CONCURRENCY at a time.
  const rawLoad = async () => {
    const out: unknown[][] = new Array(rawNames.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < rawNames.length) {
          const i = next++;
          const text = (await raw.getBlobClient(rawNames[i]!).downloadToBuffer()).toString("utf8");
          out[i] = text
            .split("\n")
            .filter(Boolean)
            .map((l) => JSON.parse(l));
        }
      }),
    );
    return out.flat();
  };
  const ours: number[] = [];
  const base: number[] = [];
  for (let k = 0; k < 3; k++) {
    const fresh = await (await Project.open("bench", createAzureBlobStorage({ container, connectionString, concurrency: CONCURRENCY }))).getDataset("batches");
    const a = await time(() => fresh.load());
    if (a.value.length !== ROWS) throw new Error(`read ${a.value.length} rows, expected ${ROWS}`);
    ours.push(a.ms);
    base.push((await time(rawLoad)).ms);
  }
  report(`load ${ROWS.toLocaleString("en-US")} rows (${rawNames.length} segments, cold)`, ROWS, median(ours), median(base));
  await project.close();
  console.log(
    `\nscale: ${full ? "full" : "small"} (BENCH_SCALE=full for the issue's size); server: ${server ? "Azurite started by the bench" : "AZURE_STORAGE_CONNECTION_STRING"}`,
  );
} finally {
  await storage.close();
  await raw.delete().catch(() => undefined);
  await server?.stop();
}
