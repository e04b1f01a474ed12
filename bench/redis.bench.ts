// Benchmark of the "redis" storage backend beside two raw ioredis baselines:
//
// - raw list: rows as JSON strings RPUSHed to one list in pipelined batches of 1,000, read
//   back with pipelined LRANGEs. The practical limit: no lookup by id, no update in place.
// - raw layout: the backend's own data model written by hand (HSET id -> JSON and ZADD
//   seq -> id in pipelines, read with ZRANGE + pipelined HMGET), without atomicity,
//   idempotent retries, row validation or existence checks.
//
// - raw seq layout (printed below the table, appendMany only): a data model this backend could
//   move to, written by hand: rows in a hash by append sequence (HSET seq -> JSON) and an id
//   index (HSET id -> seq), no sorted set; entries() would page with HMGET over seq ranges.
//
//   node bench/redis.bench.ts                  BENCH_SCALE=small (default): 10k / 10k / 1k rows
//   BENCH_SCALE=full node bench/redis.bench.ts                            100k / 100k / 10k rows
//
// REDIS_URL points at an existing server; otherwise a redis-server is started on a free
// loopback port (none installed: the bench says so and exits 0). Each figure is the best of
// a few runs. Figures are printed, never asserted on.
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { Project, parseBackendConfig, type StorageBackend, type TableStore } from "@themis/core";
import { redisBackend } from "@themis/backend-redis";
import { RedisServer, redisServerInstalled } from "../packages/backend-redis/test/support/redis-server.ts";
import type { Row } from "@themis/core";
import { shortRows } from "./support/rows.ts";

const full = process.env.BENCH_SCALE === "full";
const BATCH_ROWS = full ? 100_000 : 10_000;
const SINGLE_ROWS = full ? 10_000 : 1_000;
const RUNS = full ? 2 : 3;
const CHUNK = 1_000; // values per command in the raw baselines

let server: RedisServer | undefined;
let url = process.env.REDIS_URL;
if (!url) {
  if (!redisServerInstalled()) {
    console.log("redis bench skipped: redis-server is not installed (apt-get install redis-server) and REDIS_URL is not set");
    process.exit(0);
  }
  server = await RedisServer.start();
  url = server.url;
}

const withId = (r: Row) => ({ _row_id: randomUUID(), ...r });

const raw = new Redis(url);
const prefix = `themis-bench-${process.pid}`;
const storage = await redisBackend.create(parseBackendConfig(redisBackend, { url, keyPrefix: prefix }));
const project = await Project.create("bench", storage);

/** CPU milliseconds the server has used so far (main and background threads). */
async function serverCpu(): Promise<number> {
  const info = await raw.info("cpu");
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (field("used_cpu_user") + field("used_cpu_sys")) * 1000;
}

interface Timing {
  ms: number;
  cpu: number;
}

/**
 * Best wall time and best CPU time (this process plus the server) of `runs` runs. On a
 * busy machine wall time swings with other work; CPU time is what the work itself costs.
 */
async function measure(runs: number, setup: (run: number) => Promise<() => Promise<unknown>>): Promise<Timing> {
  let best: Timing = { ms: Infinity, cpu: Infinity };
  for (let run = 0; run < runs; run++) {
    const fn = await setup(run);
    const server0 = await serverCpu();
    const client0 = process.cpuUsage();
    const start = performance.now();
    await fn();
    const ms = performance.now() - start;
    const used = process.cpuUsage(client0);
    const cpu = (used.user + used.system) / 1000 + (await serverCpu()) - server0;
    best = { ms: Math.min(best.ms, ms), cpu: Math.min(best.cpu, cpu) };
  }
  return best;
}

const results: { operation: string; rows: number; themis: Timing; list: Timing; layout: Timing }[] = [];
try {
  // Warm up every path (JIT, script cache) before measuring.
  const warm = await project.createDataset("warmup");
  await warm.appendMany(shortRows(2_000));
  await warm.load();

  const batch = shortRows(BATCH_ROWS);
  const rawList = (run: number) => `${prefix}:raw:list:${run}`;
  const rawLayout = (run: number) => ({ rows: `${prefix}:raw:rows:${run}`, order: `${prefix}:raw:order:${run}` });

  results.push({
    operation: "appendMany",
    rows: BATCH_ROWS,
    themis: await measure(RUNS, async (run) => {
      const table = await project.createDataset(`batch-${run}`);
      return () => table.appendMany(batch);
    }),
    list: await measure(RUNS, async (run) => async () => {
      const pipeline = raw.pipeline();
      for (let i = 0; i < batch.length; i += CHUNK) pipeline.rpush(rawList(run), ...batch.slice(i, i + CHUNK).map((r) => JSON.stringify(withId(r))));
      await pipeline.exec();
    }),
    layout: await measure(RUNS, async (run) => async () => {
      const keys = rawLayout(run);
      const pipeline = raw.pipeline();
      for (let i = 0; i < batch.length; i += CHUNK) {
        const chunk = batch.slice(i, i + CHUNK).map(withId);
        pipeline.hset(keys.rows, ...chunk.flatMap((r) => [r._row_id, JSON.stringify(r)]));
        pipeline.zadd(keys.order, ...chunk.flatMap((r, j) => [i + j, r._row_id]));
      }
      await pipeline.exec();
    }),
  });

  results.push({
    operation: "load",
    rows: BATCH_ROWS,
    themis: await measure(RUNS, async (run) => {
      const table = await project.getDataset(`batch-${run}`);
      return async () => {
        if ((await table.load()).length !== BATCH_ROWS) throw new Error("bench: wrong row count");
      };
    }),
    list: await measure(RUNS, async (run) => async () => {
      const pipeline = raw.pipeline();
      for (let i = 0; i < BATCH_ROWS; i += CHUNK) pipeline.lrange(rawList(run), i, i + CHUNK - 1);
      const loaded = (await pipeline.exec())!.flatMap(([, values]) => (values as string[]).map((v) => JSON.parse(v) as unknown));
      if (loaded.length !== BATCH_ROWS) throw new Error("bench: wrong row count");
    }),
    layout: await measure(RUNS, async (run) => async () => {
      const keys = rawLayout(run);
      const ids = await raw.zrange(keys.order, "0", "-1");
      const pipeline = raw.pipeline();
      for (let i = 0; i < ids.length; i += CHUNK) pipeline.hmget(keys.rows, ...ids.slice(i, i + CHUNK));
      const loaded = (await pipeline.exec())!.flatMap(([, values]) => (values as string[]).map((v) => JSON.parse(v) as unknown));
      if (loaded.length !== BATCH_ROWS) throw new Error("bench: wrong row count");
    }),
  });

  const singles = shortRows(SINGLE_ROWS);
  results.push({
    operation: "append (one row per call)",
    rows: SINGLE_ROWS,
    themis: await measure(RUNS, async (run) => {
      const table = await project.createDataset(`singles-${run}`);
      return async () => {
        for (const r of singles) await table.append(r);
      };
    }),
    list: await measure(RUNS, async (run) => async () => {
      for (const r of singles) await raw.rpush(`${rawList(run)}:singles`, JSON.stringify(withId(r)));
    }),
    layout: await measure(RUNS, async (run) => async () => {
      const keys = rawLayout(run);
      let i = 0;
      for (const r of singles) {
        const stored = withId(r);
        await raw.multi().hset(`${keys.rows}:singles`, stored._row_id, JSON.stringify(stored)).zadd(`${keys.order}:singles`, i++, stored._row_id).exec();
      }
    }),
  });

  // What core's row checks cost before any backend sees a row (validation, deep copy, ids):
  // the part of appendMany no storage backend can avoid.
  const nowhere: TableStore = {
    load: async () => [],
    entries: async function* () {},
    get: async () => undefined,
    append: async () => undefined,
    update: async () => undefined,
    delete: async () => undefined,
  };
  const discard: StorageBackend = {
    name: "discard",
    openProject: async () => ({
      createTable: async () => nowhere,
      openTable: async () => nowhere,
      listTables: async () => [],
      deleteTable: async () => undefined,
    }),
    listProjects: async () => [],
    deleteProject: async () => undefined,
    close: async () => undefined,
  };
  const discardTable = await (await Project.create("discard", discard)).createDataset("d");
  const coreOnly = await measure(RUNS, async () => () => discardTable.appendMany(batch));

  // The alternative data model without a sorted set (see the top of this file).
  const seqLayout = await measure(RUNS, async (run) => async () => {
    const rowsKey = `${prefix}:raw:seqrows:${run}`;
    const idsKey = `${prefix}:raw:seqids:${run}`;
    const pipeline = raw.pipeline();
    for (let i = 0; i < batch.length; i += CHUNK) {
      const chunk = batch.slice(i, i + CHUNK).map(withId);
      pipeline.hset(rowsKey, ...chunk.flatMap((r, j) => [i + j, JSON.stringify(r)]));
      pipeline.hset(idsKey, ...chunk.flatMap((r, j) => [r._row_id, i + j]));
    }
    await pipeline.exec();
  });

  const perSecond = (n: number, ms: number) => Math.round((n / ms) * 1000).toLocaleString("en-US");
  const ratio = (baseline: number, ours: number) => Number((baseline / ours).toFixed(2));
  console.log(
    `redis storage vs raw ioredis (BENCH_SCALE=${full ? "full" : "small"}, best of ${RUNS}, ${server ? "redis-server started by the bench" : "REDIS_URL"})`,
  );
  console.table(
    results.map((r) => ({
      operation: r.operation,
      rows: r.rows,
      "themis rows/s": perSecond(r.rows, r.themis.ms),
      "raw list rows/s": perSecond(r.rows, r.list.ms),
      "raw layout rows/s": perSecond(r.rows, r.layout.ms),
      "themis cpu ms": Math.round(r.themis.cpu),
      "raw list cpu ms": Math.round(r.list.cpu),
      "vs list (wall)": ratio(r.list.ms, r.themis.ms),
      "vs layout (wall)": ratio(r.layout.ms, r.themis.ms),
      "vs list (cpu)": ratio(r.list.cpu, r.themis.cpu),
      "vs layout (cpu)": ratio(r.layout.cpu, r.themis.cpu),
    })),
  );
  const appendList = results[0]!.list;
  console.log(
    `raw seq layout (HSET seq -> JSON + HSET id -> seq, no sorted set), appendMany: ${perSecond(BATCH_ROWS, seqLayout.ms)} rows/s, ${Math.round(seqLayout.cpu)} ms cpu; vs list ${ratio(appendList.ms, seqLayout.ms)} (wall), ${ratio(appendList.cpu, seqLayout.cpu)} (cpu)`,
  );
  console.log(
    `core's row checks alone (appendMany into a backend that discards rows): ${perSecond(BATCH_ROWS, coreOnly.ms)} rows/s, ${Math.round(coreOnly.cpu)} ms cpu`,
  );
  console.log("vs ...: themis throughput relative to the baseline (1 = as fast). The issue's target: >= 0.5 for appendMany and load.");
  console.log("cpu: this process + redis-server CPU time, steadier than wall time on a shared machine.");
} finally {
  await storage.deleteProject("bench").catch(() => undefined);
  for (let run = 0; run < RUNS; run++) {
    const keys = [
      `${prefix}:raw:list:${run}`,
      `${prefix}:raw:rows:${run}`,
      `${prefix}:raw:order:${run}`,
      `${prefix}:raw:seqrows:${run}`,
      `${prefix}:raw:seqids:${run}`,
    ];
    await raw.del(...keys, ...keys.map((k) => `${k}:singles`));
  }
  await project.close();
  await storage.close();
  raw.disconnect();
  await server?.stop();
}
