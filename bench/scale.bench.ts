// Scale: does each storage backend append N rows and stream them back with flat memory?
//
// For every (backend, N) a CHILD process appends N rows of ~190 bytes through appendMany
// (batches of 10,000 rows), streams them back through entries(), then updates and deletes a
// row near the start of the table; its peak RSS (process.resourceUsage().maxRSS) is measured
// at the end, so each figure is that of one run alone. The servers (redis-server, Ceph
// radosgw, the stand-in Box API) run in their own processes, outside the measured one.
//
//   node bench/scale.bench.ts                     BENCH_SCALE=small (default): 2k and 20k rows
//   BENCH_SCALE=full node bench/scale.bench.ts    100k, 1M and 10M rows (see SIZES below)
//   SCALE_BACKENDS=redis,s3 SCALE_SIZES=100000,1000000 node bench/scale.bench.ts
//   SCALE_TRACE=1 ...                             the child prints its memory by kind every 2 s
//   SCALE_S3_OPTIONS='{"compactAfterSegments":0}' ...   extra s3 options (what compaction costs)
//
// A size is skipped on a backend when the figure at the size before it predicts more than
// SCALE_MAX_MINUTES (default 10) for it. Figures are printed, never asserted on; the target
// (issue 18) is a peak RSS at 10M rows at most 100 MB above the one at 100k.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type ScaleResult, runScaleChild } from "./support/scale-child.ts";
import { type ServerSet, startServers } from "./support/scale-servers.ts";

const full = process.env.BENCH_SCALE === "full";
const here = fileURLToPath(import.meta.url);

/**
 * Sizes per backend. box/csv keeps a table in one CSV file that every write uploads whole as
 * a new Box version (Box has no append), in one request of at most 50 MB (Box's direct
 * upload limit): it stops at 250k rows (~48 MB), in batches of 50k (see the box/csv README).
 * memory keeps every row by definition: measured up to 1M to show the cost of holding a
 * table, not as a flat-memory candidate.
 */
const SIZES: Record<string, number[]> = full
  ? {
      "local/csv": [100_000, 1_000_000, 10_000_000],
      redis: [100_000, 1_000_000, 10_000_000],
      s3: [100_000, 1_000_000, 10_000_000],
      "box/csv": [100_000, 250_000],
      memory: [100_000, 1_000_000],
    }
  : { "local/csv": [2_000, 20_000], redis: [2_000, 20_000], s3: [2_000, 20_000], "box/csv": [2_000, 20_000], memory: [2_000, 20_000] };
const BATCH: Record<string, number> = { "box/csv": full ? 50_000 : 5_000 };
const DEFAULT_BATCH = full ? 10_000 : 1_000;
const MAX_MS = Number(process.env.SCALE_MAX_MINUTES ?? 10) * 60_000;

if (process.argv[2] === "--child") {
  // Child: one (backend, rows) run; prints one JSON line.
  const [, , , backend, rows, batch] = process.argv;
  const result = await runScaleChild(backend!, Number(rows), Number(batch), JSON.parse(process.env.THEMIS_SCALE_SERVERS ?? "{}") as ServerSet);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

function runChild(backend: string, rows: number, servers: ServerSet): Promise<ScaleResult> {
  return new Promise((resolve, reject) => {
    // --expose-gc: the child measures what it still holds after a full collection (see ScaleResult).
    const child = spawn(process.execPath, ["--expose-gc", here, "--child", backend, String(rows), String(BATCH[backend] ?? DEFAULT_BATCH)], {
      env: { ...process.env, THEMIS_SCALE_SERVERS: JSON.stringify(servers) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => {
      const line = out.trim().split("\n").at(-1) ?? "";
      if (code === 0 && line.startsWith("{")) resolve(JSON.parse(line) as ScaleResult);
      else reject(new Error(`${backend} at ${rows} rows: the child exited with code ${String(code)}${out ? `: ${out.trim()}` : ""}`));
    });
  });
}

const only = process.env.SCALE_BACKENDS?.split(",").map((s) => s.trim());
const sizesOverride = process.env.SCALE_SIZES?.split(",").map(Number);
const backends = Object.keys(SIZES).filter((b) => !only || only.includes(b));
const scratch = mkdtempSync(path.join(tmpdir(), "themis-bench-scale-"));
const servers = await startServers(backends, scratch);
const table: Record<string, string | number>[] = [];
const notes: string[] = [];
let failed = 0;
try {
  for (const backend of backends) {
    if (servers.skipped[backend]) {
      notes.push(`${backend}: skipped (${servers.skipped[backend]})`);
      continue;
    }
    let previous: ScaleResult | undefined;
    for (const rows of sizesOverride ?? SIZES[backend]!) {
      if (previous) {
        const predicted = ((previous.appendMs + previous.streamMs) * rows) / previous.rows;
        if (predicted > MAX_MS) {
          notes.push(
            `${backend} at ${rows.toLocaleString("en-US")} rows: skipped, ${Math.round(predicted / 60_000)} min predicted from ${previous.rows.toLocaleString("en-US")} rows (over ${MAX_MS / 60_000} min)`,
          );
          break;
        }
      }
      try {
        const r = await runChild(backend, rows, {
          ...servers.env,
          dir: path.join(scratch, `${backend.replace("/", "-")}-${rows}-${randomBytes(3).toString("hex")}`),
        });
        table.push({
          backend,
          rows: rows.toLocaleString("en-US"),
          "append rows/s": Math.round((rows / r.appendMs) * 1000).toLocaleString("en-US"),
          "entries rows/s": Math.round((rows / r.streamMs) * 1000).toLocaleString("en-US"),
          "update+delete ms": Math.round(r.editMs),
          "peak RSS after appends MB": Math.round(r.appendRssKb / 1024),
          "peak RSS MB": Math.round(r.maxRssKb / 1024),
          "live after appends MB": Math.round(r.liveAfterAppends / 2 ** 20),
        });
        console.log(
          `${backend}, ${rows.toLocaleString("en-US")} rows: appended in ${Math.round(r.appendMs / 1000)} s, streamed in ${Math.round(r.streamMs / 1000)} s, peak RSS ${Math.round(r.maxRssKb / 1024)} MB`,
        );
        previous = r;
      } catch (error) {
        failed++;
        notes.push(`${backend} at ${rows} rows: FAILED: ${(error as Error).message}`);
        break;
      }
    }
  }
  console.log(`storage at scale (BENCH_SCALE=${full ? "full" : "small"}, Node ${process.version}; one child process per backend and size; rows of ~190 bytes)`);
  console.table(table);
  for (const n of notes) console.log(n);
  console.log("peak RSS: the child's process.resourceUsage().maxRSS after appending, streaming, one update and one delete.");
  console.log("live after appends: JS heap + Buffers after a full GC once the rows are appended (what the backend keeps, without garbage).");
  console.log("Target (issue 18): peak RSS at 10M rows at most 100 MB above the one at 100k rows.");
} finally {
  await servers.stop();
  rmSync(scratch, { recursive: true, force: true });
}
if (failed) process.exit(1);
