// The "bullmq" executor running no-op module jobs through map(), beside what a user would
// otherwise write: a hand-written BullMQ Queue (addBulk) + Worker processes calling the
// same function in-process. Both sides use the same redis-server and worker processes.
//   node bench/bullmq.bench.ts                      BENCH_SCALE=small (default): 1000 jobs
//   BENCH_SCALE=full node bench/bullmq.bench.ts     the 10k jobs
// Prints throughput (and the ratio to the baseline), p50/p95 per-job latency at 8 in
// flight, and throughput with 1, 2 and 4 worker processes. Never asserts on time; exits 0
// (skipped) when redis-server is not installed.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Task, map, parseBackendConfig } from "@themis/core";
import { type BullmqExecutor, bullmqBackend } from "@themis/backend-bullmq";
import { Queue, QueueEvents } from "bullmq";
import { RedisServer, redisServerInstalled } from "../packages/backend-redis/test/support/redis-server.ts";

const full = process.env.BENCH_SCALE === "full";
const JOBS = full ? 10_000 : 1000;
const LATENCY_JOBS = full ? 2000 : 300;
const IN_FLIGHT = 512;
const WORKER_CONCURRENCY = 16;
// No-op jobs need no parallel CPU: one module thread per worker process (threads >
// cores thrash on a 2-core box). The baseline runs its function on the main thread.
const WORKER_THREADS = 1;
const here = path.dirname(fileURLToPath(import.meta.url));
const THEMIS_WORKER = path.join(here, "../packages/backend-bullmq/test/support/worker-process.mjs");
const BASELINE_WORKER = path.join(here, "support/bullmq-baseline-worker.mjs");

if (!redisServerInstalled()) {
  console.log("bullmq bench skipped: redis-server is not installed");
  process.exit(0);
}

const dir = mkdtempSync(path.join(tmpdir(), "themis-bullmq-bench-"));
const moduleFile = path.join(dir, "noop.mjs");
writeFileSync(moduleFile, "export function noop(input) { return input; }\n");
const server = await RedisServer.start();
let queueNo = 0;

/** Start worker processes (themis or baseline) on `queue`; resolves when each is ready. */
async function startProcesses(kind: "themis" | "baseline", queue: string, count: number): Promise<ChildProcess[]> {
  const arg =
    kind === "themis"
      ? { config: { url: server.url, queue }, concurrency: WORKER_CONCURRENCY, threads: WORKER_THREADS }
      : { url: server.url, queue, concurrency: WORKER_CONCURRENCY, module: pathToFileURL(moduleFile).href };
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, [kind === "themis" ? THEMIS_WORKER : BASELINE_WORKER, JSON.stringify(arg)], { stdio: ["ignore", "pipe", "inherit"] }),
  );
  await Promise.all(children.map((c) => new Promise<void>((resolve) => createInterface({ input: c.stdout! }).once("line", () => resolve()))));
  return children;
}

async function stopProcesses(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(async (c) => {
      const exit = once(c, "exit");
      c.kill("SIGTERM");
      await exit;
    }),
  );
}

const task: Task<{ i: number }> = { kind: "module", module: moduleFile, export: "noop" };

/** Jobs/s of `jobs` no-op jobs through map on `workers` themis worker processes; also every job's duration. */
async function themisRun(workers: number, jobs: number, inFlight: number): Promise<{ rate: number; durations: number[] }> {
  const queue = `themis-${++queueNo}`;
  const children = await startProcesses("themis", queue, workers);
  const executor = (await bullmqBackend.create(
    parseBackendConfig(bullmqBackend, { url: server.url, queue, removeOnComplete: { count: 1000 } }),
  )) as BullmqExecutor;
  try {
    const items = Array.from({ length: jobs }, (_, i) => ({ i }));
    const durations: number[] = [];
    const start = performance.now();
    for await (const o of map(task, items, { executor, concurrency: inFlight })) {
      if (!o.ok) throw new Error(`job ${o.index} failed: ${o.error.message}`);
      durations.push(o.durationMs);
    }
    return { rate: (jobs * 1000) / (performance.now() - start), durations };
  } finally {
    await executor.close();
    await stopProcesses(children);
  }
}

/** Jobs/s of the hand-written Queue.addBulk + Worker processes, measured until the last completion event. */
async function baselineRun(workers: number, jobs: number): Promise<number> {
  const queue = `baseline-${++queueNo}`;
  const children = await startProcesses("baseline", queue, workers);
  const q = new Queue(queue, { connection: { url: server.url } });
  const events = new QueueEvents(queue, { connection: { url: server.url } });
  await events.waitUntilReady();
  try {
    let done = 0;
    const finished = new Promise<void>((resolve) => events.on("completed", () => ++done === jobs && resolve()));
    const start = performance.now();
    for (let i = 0; i < jobs; i += 500) {
      const n = Math.min(500, jobs - i);
      await q.addBulk(Array.from({ length: n }, (_, k) => ({ name: "noop", data: { i: i + k }, opts: { removeOnComplete: { count: 1000 } } })));
    }
    await finished;
    return (jobs * 1000) / (performance.now() - start);
  } finally {
    await events.close();
    await q.close();
    await stopProcesses(children);
  }
}

/** p50 / p95 latency (ms) of the hand-written side at `inFlight` jobs in flight: add, then wait for the job. */
async function baselineLatency(jobs: number, inFlight: number): Promise<number[]> {
  const queue = `baseline-${++queueNo}`;
  const children = await startProcesses("baseline", queue, 2);
  const q = new Queue(queue, { connection: { url: server.url } });
  const events = new QueueEvents(queue, { connection: { url: server.url } });
  await events.waitUntilReady();
  try {
    const durations: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < jobs) {
          const i = next++;
          const start = performance.now();
          const job = await q.add("noop", { i }, { removeOnComplete: { count: 1000 } });
          await job.waitUntilFinished(events);
          durations.push(performance.now() - start);
        }
      }),
    );
    return durations;
  } finally {
    await events.close();
    await q.close();
    await stopProcesses(children);
  }
}

/** Milliseconds from aborting a map of `jobs` running commands (all started) to the end of the map. */
async function cancelLatency(jobs: number): Promise<number> {
  const queue = `themis-${++queueNo}`;
  const children = await startProcesses("themis", queue, 2);
  const executor = (await bullmqBackend.create(parseBackendConfig(bullmqBackend, { url: server.url, queue }))) as BullmqExecutor;
  try {
    const controller = new AbortController();
    const sleeper: Task = { kind: "command", command: () => ({ argv: ["sleep", "60"] }) };
    const done = (async () => {
      for await (const o of map(
        sleeper,
        Array.from({ length: jobs }, (_, i) => i),
        { executor, concurrency: jobs, signal: controller.signal },
      )) {
        if (o.ok || o.error.code !== "ERR_THEMIS_ABORTED") throw new Error(`job ${o.index} was not cancelled`);
      }
    })();
    while ((await executor.queueCounts()).active < jobs) await new Promise((r) => setTimeout(r, 20));
    const start = performance.now();
    controller.abort();
    await done;
    return performance.now() - start;
  } finally {
    await executor.close();
    await stopProcesses(children);
  }
}

const pct = (values: number[], p: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((values.length * p) / 100))]!;
const fmt = (n: number): string => n.toFixed(n < 10 ? 2 : 0);

try {
  console.log(
    `bullmq executor: ${JOBS} no-op module jobs, ${IN_FLIGHT} in flight, worker processes of concurrency ${WORKER_CONCURRENCY} (themis: ${WORKER_THREADS} module thread), redis-server ${server.url}`,
  );
  // Warm-up (module load, thread pools, Lua scripts), not measured.
  await themisRun(2, 50, 8);
  // The two sides alternate, so load drifting during the run favours neither.
  const themisRates: number[] = [];
  const baseRates: number[] = [];
  for (let round = 0; round < 2; round++) {
    baseRates.push(await baselineRun(2, JOBS));
    themisRates.push((await themisRun(2, JOBS, IN_FLIGHT)).rate);
  }
  const themis = Math.max(...themisRates);
  const base = Math.max(...baseRates);
  console.log(`\n2 worker processes, best of 2:`);
  console.log(`  hand-written Queue.addBulk + Worker   ${fmt(base)} jobs/s`);
  console.log(`  map() on bullmq                       ${fmt(themis)} jobs/s   ratio ${(themis / base).toFixed(2)}x (target >= 0.7x)`);

  const latency = await themisRun(2, LATENCY_JOBS, 8);
  const baseLatency = await baselineLatency(LATENCY_JOBS, 8);
  console.log(`\nper-job latency at 8 in flight (${LATENCY_JOBS} no-op jobs, 2 workers): p50 / p95`);
  console.log(`  hand-written add + waitUntilFinished  ${fmt(pct(baseLatency, 50))} / ${fmt(pct(baseLatency, 95))} ms`);
  console.log(
    `  map() on bullmq                       ${fmt(pct(latency.durations, 50))} / ${fmt(pct(latency.durations, 95))} ms   p50 overhead ${fmt(pct(latency.durations, 50) - pct(baseLatency, 50))} ms`,
  );

  console.log(`\ncancellation: 32 running \`sleep 60\` commands on 2 workers, abort -> map ended: ${fmt(await cancelLatency(32))} ms`);

  console.log(`\nthroughput by worker processes (map() on bullmq, ${JOBS} jobs):`);
  console.log("  workers  jobs/s");
  for (const workers of [1, 2, 4]) console.log(`  ${String(workers).padStart(7)}  ${fmt((await themisRun(workers, JOBS, IN_FLIGHT)).rate)}`);
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
