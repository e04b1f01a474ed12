import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import type { RedisStorage } from "../src/index.js";
import { KeyLayout } from "../src/index.js";
import { requireService } from "@themis/conformance";
import { createBackend, rawClient, serverBinary } from "./support/env.js";
import { RedisServer } from "./support/redis-server.js";

// This test needs a server of its own (it kills it), so it needs the binary even when
// REDIS_URL points at a shared server.
const canRun = requireService("redis-server (restart test)", serverBinary, "redis-server is not installed (apt-get install redis-server)");

describe.skipIf(!canRun).each(["SIGKILL", "SIGTERM"] as const)("redis-server restarted (%s) during appends", (signal) => {
  let server: RedisServer;
  beforeAll(async () => {
    // appendonly + fsync always: what the server acknowledged is on disk when it dies.
    server = await RedisServer.start({ persistence: true });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("keeps every acknowledged row, stores each other row at most once, and reconnects", async () => {
    const prefix = "themis-restart";
    const backend: RedisStorage = await createBackend({ url: server.url, keyPrefix: prefix });
    const project = await Project.create("restart", backend);
    const table = await project.createDataset("d");

    const acked: string[] = [];
    const failed: string[] = [];
    let ackedAfterRestart = 0;
    let restarted = false;
    let stop = false;

    const lane = async (lane: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        // Mostly single appends, and every 10th a batch of 5 (one atomic script).
        const rows =
          i % 10 === 0 ? Array.from({ length: 5 }, (_, j) => ({ _row_id: `l${lane}-${i}-${j}`, lane, i, j })) : [{ _row_id: `l${lane}-${i}`, lane, i }];
        try {
          await table.appendMany(rows);
          acked.push(...rows.map((r) => r._row_id));
          if (restarted) ackedAfterRestart += rows.length;
        } catch (error) {
          expect(error).toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE" });
          failed.push(...rows.map((r) => r._row_id));
        }
      }
    };
    const lanes = Array.from({ length: 4 }, (_, i) => lane(i));

    await until(() => acked.length >= 400);
    const runIdBefore = await runId(server.url);
    if (signal === "SIGKILL") await server.restart();
    else {
      await server.kill("SIGTERM");
      await server.restart();
    }
    restarted = true;
    expect(await runId(server.url)).not.toBe(runIdBefore);
    await until(() => ackedAfterRestart >= 400);
    stop = true;
    await Promise.all(lanes);

    const rows = await table.load();
    const ids = rows.map((r) => r._row_id);
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    for (const id of acked) expect(counts.get(id), `acknowledged row ${id}`).toBe(1);
    for (const id of failed) expect(counts.get(id) ?? 0, `failed row ${id}`).toBeLessThanOrEqual(1);
    const known = new Set([...acked, ...failed]);
    expect(ids.filter((id) => !known.has(id))).toEqual([]);
    expect(ackedAfterRestart).toBeGreaterThanOrEqual(400);
    if (process.env.THEMIS_TEST_VERBOSE) console.log({ signal, acked: acked.length, failed: failed.length, stored: ids.length });

    const raw = rawClient(server.url);
    const keys = new KeyLayout(prefix).table("restart", "dataset", "d");
    expect(await raw.hlen(keys.rows)).toBe(ids.length);
    expect(await raw.zcard(keys.order)).toBe(ids.length);
    raw.disconnect();
    await project.close();
    await backend.close();
  });
});

/** The server instance's run id: a new one after every start. */
async function runId(url: string): Promise<string> {
  const raw = rawClient(url);
  try {
    return /run_id:(\w+)/.exec(await raw.info("server"))![1]!;
  } finally {
    raw.disconnect();
  }
}

/** Wait until `condition` holds, checking every 10 ms (a test timeout ends a wait that never ends). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}
