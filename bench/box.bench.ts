// box/csv against the raw box-node-sdk calls a user would otherwise write, on the stand-in
// Box API server (packages/backend-box/test/box-server) running in its own process.
//   node bench/box.bench.ts            BENCH_SCALE=small (default): 3,000 rows
//   BENCH_SCALE=full node bench/box.bench.ts                  the 10,000 rows
// Prints figures and ratios; never asserts on time.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { BoxClient, BoxDeveloperTokenAuth } from "box-node-sdk";
import { Project, ROW_ID, newRowId, type StoredRow } from "@themis/core";
import { boxBackend } from "@themis/backend-box";
import { headerFor, parseCsv, serializeRows } from "@themis/csv-codec";

const full = process.env.BENCH_SCALE === "full";
const ROWS = full ? 10_000 : 3_000;
const BATCH = 500;
const LOADS = full ? 11 : 7;

const here = path.dirname(fileURLToPath(import.meta.url));
const serverMain = path.join(here, "../packages/backend-box/test/box-server/main.ts");
const token = `bench-${randomBytes(8).toString("hex")}`;

// The server gets its own process so its work does not share the event loop being measured.
const child = spawn(process.execPath, [serverMain, "--token", token], { stdio: ["ignore", "pipe", "inherit"] });
let urls: { baseUrl: string; uploadUrl: string; oauth2Url: string };
try {
  const [line] = (await Promise.race([
    once(child.stdout!, "data"),
    once(child, "exit").then(([code]) => {
      throw new Error(`it exited with code ${String(code)}`);
    }),
  ])) as [Buffer];
  urls = JSON.parse(line.toString("utf8").trim()) as typeof urls;
} catch (error) {
  console.log(`box bench skipped: the stand-in Box server (${serverMain}) did not start: ${(error as Error).message}`);
  child.kill();
  process.exit(0);
}

async function requestCount(): Promise<number> {
  return ((await (await fetch(`${urls.baseUrl}/__control/log`)).json()) as unknown[]).length;
}

const rows = (n: number, from: number) =>
  Array.from({ length: n }, (_, i) => ({
    question: `What is ${from + i} + ${from + i}?`,
    answer: String(2 * (from + i)),
    score: (from + i) % 7,
    tags: ["bench", (from + i) % 2 ? "odd" : "even"],
  }));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const out = await fn();
  return [out, performance.now() - t0];
}

try {
  const config = { developerToken: token, ...urls, rootFolderId: "0" };
  // Keep-alive as box/csv does, so the comparison is about what the backend adds, not about
  // the transport (the SDK's default agent opens a connection per request).
  const client = new BoxClient({ auth: new BoxDeveloperTokenAuth({ token }) }).withCustomBaseUrls(urls).withCustomAgentOptions({ keepAlive: true });

  /** box/csv: a dataset in a new project. */
  async function backendTable() {
    const project = await Project.create(`bench_${randomBytes(4).toString("hex")}`, boxBackend, config);
    return { project, table: await project.createDataset("qa") };
  }

  /** The raw SDK calls a careful user would write: keep the CSV text, upload each batch as a new version with If-Match. */
  async function rawTable() {
    const folder = await client.folders.createFolder({ name: `raw_${randomBytes(4).toString("hex")}`, parent: { id: "0" } });
    let stored: StoredRow[] = [];
    let header: readonly string[] = [ROW_ID];
    let text = serializeRows(header, []);
    const created = await client.uploads.uploadFile({ attributes: { name: "qa.csv", parent: { id: folder.id } }, file: Readable.from([Buffer.from(text)]) });
    const fileId = created.entries![0]!.id;
    let etag = created.entries![0]!.etag!;
    return {
      async appendMany(input: Record<string, unknown>[]): Promise<void> {
        const batch = input.map((r) => ({ [ROW_ID]: newRowId(), ...r }) as StoredRow);
        const next = headerFor(batch, header);
        text = next === header ? text + serializeRows(header, batch, { includeHeader: false }) : serializeRows(next, [...stored, ...batch]);
        header = next;
        stored = [...stored, ...batch];
        const up = await client.uploads.uploadFileVersion(
          fileId,
          { attributes: { name: "qa.csv" }, file: Readable.from([Buffer.from(text)]) },
          { headers: { ifMatch: etag } },
        );
        etag = up.entries![0]!.etag!;
      },
      async load(): Promise<StoredRow[]> {
        const stream = await client.downloads.downloadFile(fileId);
        const chunks: Buffer[] = [];
        for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
        return parseCsv(Buffer.concat(chunks).toString("utf8"), { source: "raw" }).rows;
      },
    };
  }

  /** Time `fn` and count the requests the server saw for it. */
  async function measure<T>(fn: () => Promise<T>): Promise<{ out: T; ms: number; requests: number }> {
    const before = await requestCount();
    const [out, ms] = await timed(fn);
    return { out, ms, requests: (await requestCount()) - before };
  }

  // Warm-up (JIT, connections) on throwaway tables, so neither side pays it in the figures.
  {
    const b = await backendTable();
    const r = await rawTable();
    for (let i = 0; i < 2; i++) {
      await b.table.appendMany(rows(BATCH, i * BATCH));
      await r.appendMany(rows(BATCH, i * BATCH));
      await b.table.load();
      await r.load();
    }
    await b.project.close();
  }

  // The two sides alternate batch by batch and load by load, so load on the machine hits both alike.
  const { project, table } = await backendTable();
  const raw = await rawTable();
  const appends = { backend: [] as number[], raw: [] as number[], backendRequests: 0, rawRequests: 0 };
  for (let i = 0; i < ROWS; i += BATCH) {
    const input = rows(BATCH, i);
    const b = await measure(() => table.appendMany(input));
    const r = await measure(() => raw.appendMany(input));
    appends.backend.push(b.ms);
    appends.raw.push(r.ms);
    appends.backendRequests += b.requests;
    appends.rawRequests += r.requests;
  }
  const loads = { cold: [] as number[], warm: [] as number[], raw: [] as number[], coldRequests: 0, warmRequests: 0, rawRequests: 0 };
  for (let i = 0; i < LOADS; i++) {
    // A cold load: a new backend instance (another process, a restart) reads the table.
    const other = await Project.open(project.name, boxBackend, config);
    const t = await other.getDataset("qa");
    const cold = await measure(() => t.load());
    await other.close();
    const r = await measure(() => raw.load());
    const warm = await measure(() => table.load());
    for (const [name, m] of [
      ["box/csv cold", cold],
      ["raw", r],
      ["box/csv cached", warm],
    ] as const) {
      if (m.out.length !== ROWS) throw new Error(`${name} loaded ${m.out.length} rows, expected ${ROWS}`);
    }
    loads.cold.push(cold.ms);
    loads.raw.push(r.ms);
    loads.warm.push(warm.ms);
    loads.coldRequests += cold.requests;
    loads.rawRequests += r.requests;
    loads.warmRequests += warm.requests;
  }

  if (process.env.BENCH_VERBOSE) console.log({ appends, loads });
  const batches = ROWS / BATCH;
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const [backendAppendMs, rawAppendMs] = [sum(appends.backend), sum(appends.raw)];
  // Medians: one slow call (GC, another process on the machine) does not decide the ratio.
  const [backendBatchMs, rawBatchMs] = [median(appends.backend), median(appends.raw)];
  console.log(`box/csv on the stand-in Box server (${full ? "full" : "small"} scale: ${fmt(ROWS)} rows, batches of ${BATCH}, ${LOADS} loads)`);
  console.table({
    "appendMany, box/csv": {
      "rows/s": fmt((BATCH / backendBatchMs) * 1000),
      "ms (median)": fmt(backendBatchMs),
      "ms (total)": fmt(backendAppendMs),
      "requests per call": appends.backendRequests / batches,
    },
    "appendMany, raw SDK": {
      "rows/s": fmt((BATCH / rawBatchMs) * 1000),
      "ms (median)": fmt(rawBatchMs),
      "ms (total)": fmt(rawAppendMs),
      "requests per call": appends.rawRequests / batches,
    },
    "load (cold), box/csv": {
      "rows/s": fmt((ROWS / median(loads.cold)) * 1000),
      "ms (median)": fmt(median(loads.cold)),
      "requests per call": loads.coldRequests / LOADS,
    },
    "load (unchanged, cached), box/csv": {
      "rows/s": fmt((ROWS / median(loads.warm)) * 1000),
      "ms (median)": fmt(median(loads.warm)),
      "requests per call": loads.warmRequests / LOADS,
    },
    "download + parse, raw SDK": {
      "rows/s": fmt((ROWS / median(loads.raw)) * 1000),
      "ms (median)": fmt(median(loads.raw)),
      "requests per call": loads.rawRequests / LOADS,
    },
  });
  console.log(`ratio appendMany box/csv vs raw SDK: ${(rawBatchMs / backendBatchMs).toFixed(2)} (target >= 0.8; medians of ${batches} batches)`);
  console.log(`ratio load (cold) box/csv vs raw SDK: ${(median(loads.raw) / median(loads.cold)).toFixed(2)} (target >= 0.8)`);
  console.log(`ratio load (cached) box/csv vs raw SDK: ${(median(loads.raw) / median(loads.warm)).toFixed(2)}`);
  await project.close();
} finally {
  child.kill("SIGTERM");
}
