// A Redis restart mid-map loses no result and the map finishes; Redis gone for good fails
// the waiting jobs with ERR_THEMIS_UNAVAILABLE within unavailableTimeoutMs.
import { type MapOutcome, type Task, map } from "@themis/core";
import { afterEach, describe, expect, it } from "vitest";
import { RedisServer, redisServerInstalled } from "../../backend-redis/test/support/redis-server.ts";
import { collect, waitFor } from "./support/collect.ts";
import { createExecutor, testConfig } from "./support/env.ts";
import { writeFixture } from "./support/fixture.ts";
import { type WorkerProcess, startWorkers, stopWorkers } from "./support/workers.ts";
import { requireService } from "@themis/conformance";

const binary = requireService("redis-server", redisServerInstalled(), "redis-server is not installed (apt-get install redis-server)");

describe.skipIf(!binary)("bullmq: Redis restarts", () => {
  const fixture = writeFixture();
  const task: Task = { kind: "module", module: fixture.file, export: "work" };
  let server: RedisServer | undefined;
  let workers: WorkerProcess[] = [];
  afterEach(async () => {
    await stopWorkers(workers);
    await server?.stop();
  });

  /** Map 20 items on two workers, restart Redis after 6 outcomes; every item must end ok, once. */
  async function restartMidMap(persistence: boolean): Promise<void> {
    server = await RedisServer.start({ persistence });
    const config = testConfig(persistence ? "restart" : "lost", { url: server.url });
    const executor = await createExecutor(config);
    workers = await startWorkers(config, 2, { concurrency: 2 });
    try {
      const items = Array.from({ length: 20 }, (_, n) => ({ n, delayMs: 150 }));
      const out: MapOutcome[] = [];
      for await (const o of map(task, items, { executor, concurrency: 4 })) {
        out.push(o);
        if (out.length === 6) await server.restart();
      }
      expect(out.map((o) => o.index).sort((a, b) => a - b)).toEqual(items.map((i) => i.n));
      for (const o of out) expect(o.ok && o.value, JSON.stringify(o)).toEqual({ n: o.index * 2 });
    } finally {
      await executor.close();
    }
  }

  it("a restart mid-map (persistent Redis): every item ends with exactly one ok outcome", () => restartMidMap(true));

  it("a restart that loses every job (no persistence): the submitter queues them again and the map finishes", () => restartMidMap(false));

  it("Redis gone for good: waiting jobs fail with a retryable ERR_THEMIS_UNAVAILABLE and the map ends", async () => {
    server = await RedisServer.start();
    const config = testConfig("gone", { url: server.url, unavailableTimeoutMs: 3000 });
    const executor = await createExecutor(config);
    workers = await startWorkers(config, 2, { concurrency: 2 });
    try {
      const items = Array.from({ length: 4 }, (_, n) => ({ n, delayMs: 120_000 }));
      const outcomes = collect(map(task, items, { executor, concurrency: 4 }));
      await waitFor(() => workers.flatMap((w) => w.events).filter((e) => e.type === "job-started").length === 4);
      await server.kill();
      const out = await outcomes;
      expect(out).toHaveLength(4);
      for (const o of out) {
        expect(o.ok).toBe(false);
        if (!o.ok) {
          expect(o.error.code).toBe("ERR_THEMIS_UNAVAILABLE");
          expect(o.error.retryable).toBe(true);
        }
      }
    } finally {
      // Their jobs cannot finish without Redis: no graceful stop.
      for (const w of workers) await w.stop("SIGKILL");
      await executor.close();
    }
  });
});
