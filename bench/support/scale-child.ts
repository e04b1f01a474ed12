// One run of the scale bench, in its own process: append `rows` rows in batches, stream them
// back, update and delete one row; report times and the process's peak RSS.
import { randomBytes } from "node:crypto";
import { Project, memoryBackend, type StorageSpec } from "@themis/core";
import { localCsvBackend } from "@themis/backend-local-csv";
import { redisBackend } from "@themis/backend-redis";
import { createS3Storage } from "@themis/backend-s3";
import { boxBackend } from "@themis/backend-box";
import type { ServerSet } from "./scale-servers.ts";
import { shortRows } from "./rows.ts";

export interface ScaleResult {
  backend: string;
  rows: number;
  appendMs: number;
  streamMs: number;
  /** One update and one delete of rows near the start of the table. */
  editMs: number;
  /** process.resourceUsage().maxRSS after the appends, in KiB. */
  appendRssKb: number;
  /** process.resourceUsage().maxRSS at the end, in KiB. */
  maxRssKb: number;
  /**
   * JS heap plus memory outside it (Buffers) after a full garbage collection once the rows
   * are appended, in bytes: what the process still holds (the backend's caches and indexes),
   * without the garbage a peak RSS also counts. 0 when the child runs without --expose-gc.
   */
  liveAfterAppends: number;
}

/** Memory still held after a full collection (see ScaleResult.liveAfterAppends). */
function liveMemory(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return 0;
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** The project to write to, on the backend named. */
async function openProject(backend: string, servers: ServerSet, name: string): Promise<Project> {
  const spec: Record<string, () => [StorageSpec, Record<string, unknown>?]> = {
    "local/csv": () => [localCsvBackend, { rootDir: servers.dir }],
    redis: () => [redisBackend, { url: servers.redisUrl, keyPrefix: name }],
    s3: () => {
      const { endpoint, accessKeyId, secretAccessKey, bucket } = servers.s3!;
      // SCALE_S3_OPTIONS (JSON) adds options, e.g. {"compactAfterSegments":0} to see what compaction costs.
      const extra = JSON.parse(process.env.SCALE_S3_OPTIONS ?? "{}") as Record<string, unknown>;
      return [createS3Storage({ ...extra, bucket, endpoint, credentials: { accessKeyId, secretAccessKey } })];
    },
    "box/csv": () => [boxBackend, servers.box],
    memory: () => [memoryBackend, {}],
  };
  const make = spec[backend];
  if (!make) throw new Error(`scale bench: no backend "${backend}"`);
  const [storage, config] = make();
  return Project.create(name, storage, config);
}

/**
 * With SCALE_TRACE=1, print the process's memory by kind every 2 s to stderr: where a peak
 * RSS comes from (V8 heap, Buffers outside it, or the rest: code, stacks, freed pages kept).
 */
function traceMemory(backend: string): () => void {
  if (!process.env.SCALE_TRACE) return () => undefined;
  const mb = (n: number) => Math.round(n / 2 ** 20);
  const timer = setInterval(() => {
    const m = process.memoryUsage();
    process.stderr.write(
      `[${backend}] rss ${mb(m.rss)} MB, heap used ${mb(m.heapUsed)} of ${mb(m.heapTotal)} MB, external ${mb(m.external)} MB (array buffers ${mb(m.arrayBuffers)} MB)\n`,
    );
  }, 2000);
  timer.unref();
  return () => clearInterval(timer);
}

export async function runScaleChild(backend: string, rows: number, batch: number, servers: ServerSet): Promise<ScaleResult> {
  const stopTrace = traceMemory(backend);
  const name = `scale_${randomBytes(4).toString("hex")}`;
  const project = await openProject(backend, servers, name);
  try {
    const table = await project.createDataset("scale");
    let t0 = performance.now();
    for (let i = 0; i < rows; i += batch) await table.appendMany(shortRows(Math.min(batch, rows - i), i));
    const appendMs = performance.now() - t0;
    const appendRssKb = process.resourceUsage().maxRSS;
    const liveAfterAppends = liveMemory();

    t0 = performance.now();
    let count = 0;
    const picked: string[] = [];
    for await (const row of table.entries()) {
      if (count === 1 || count === 2) picked.push(row._row_id);
      count++;
    }
    const streamMs = performance.now() - t0;
    if (count !== rows) throw new Error(`scale bench: ${backend} streamed ${count} rows, ${rows} were appended`);

    t0 = performance.now();
    await table.update(picked[0]!, { question: "edited", answer: "0" });
    await table.delete(picked[1]!);
    const editMs = performance.now() - t0;
    return { backend, rows, appendMs, streamMs, editMs, appendRssKb, maxRssKb: process.resourceUsage().maxRSS, liveAfterAppends };
  } finally {
    stopTrace();
    await project.storage.deleteProject(name).catch(() => undefined);
    await project.close();
  }
}
