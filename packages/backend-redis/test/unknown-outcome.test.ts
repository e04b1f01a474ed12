import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { requireService } from "@themis/conformance";
import { Project } from "@themis/core";
import { KeyLayout } from "../src/index.js";
import { appendCheckScript } from "../src/scripts.js";

const CHECK_MARK = "redis.call('HSET', KEYS[7], 'verdict'";
if (!appendCheckScript.source.includes(CHECK_MARK)) throw new Error("test setup: the append check script no longer writes its verdict that way");
import { createBackend, rawClient, serverBinary, uniquePrefix } from "./support/env.js";
import { RedisServer } from "./support/redis-server.js";

// A server of its own: the test pauses every client's writes (CLIENT PAUSE), and MONITOR on a
// shared server also sees other files' clients connect, which ioredis' monitor mode can
// receive before it is set up ("Command queue state error").
const canRun = requireService("redis-server (lost replies test)", serverBinary, "redis-server is not installed (apt-get install redis-server)");

describe.skipIf(!canRun)("writes whose reply is lost", () => {
  const prefix = uniquePrefix("unknown");
  let server: RedisServer;
  let raw: Redis;
  beforeAll(async () => {
    server = await RedisServer.start();
    raw = rawClient(server.url);
  });
  afterAll(async () => {
    raw?.disconnect();
    await server?.stop();
  });

  it("appends that timed out and were sent again are stored once, in their first place", async () => {
    const backend = await createBackend({ url: server.url, keyPrefix: prefix, commandTimeout: 50, retries: 20 });
    const project = await Project.create("lost", backend);
    const table = await project.createDataset("d");
    await table.append({ v: "before" });

    // Every delivery of an append of this test, as the server runs it (MONITOR sees the
    // commands inside a MULTI too): the few-rows script, and the check that opens a MULTI.
    const deliveries = { few: 0, many: 0 };
    const monitor = await raw.monitor();
    monitor.on("monitor", (_time: string, args: string[]) => {
      if (!args.some((a) => a.startsWith(`${prefix}:`))) return;
      if (args[0]?.toLowerCase() === "evalsha") deliveries.few++;
      // (MONITOR escapes the source, so it is recognised by the line that writes the verdict.)
      if (args[0]?.toLowerCase() === "eval" && args[1]?.includes(CHECK_MARK)) deliveries.many++;
    });

    // The server holds every write for 600 ms: each delivery of the appends times out, the
    // backend sends them again, and all the copies run once the pause ends.
    await raw.call("client", "pause", "600", "WRITE");
    const [few, many] = await Promise.all([
      table.appendMany([{ v: 1 }, { v: 2 }, { v: 3 }]), // one Lua script
      table.appendMany(Array.from({ length: 200 }, (_, i) => ({ v: 100 + i }))), // HSET + script in a MULTI
    ]);

    const rows = await table.load();
    expect(rows).toHaveLength(204);
    expect(new Set(rows.map((r) => r._row_id)).size).toBe(204);
    const ids = rows.map((r) => r._row_id);
    // Each batch stayed together and in order.
    for (const batch of [few, many]) {
      const at = ids.indexOf(batch[0]!);
      expect(ids.slice(at, at + batch.length)).toEqual(batch);
    }
    const keys = new KeyLayout(prefix).table("lost", "dataset", "d");
    expect(await raw.zcard(keys.order)).toBe(204);
    expect(await raw.hlen(keys.rows)).toBe(204);
    // Each append did arrive more than once (the retries are real), and only the first
    // delivery drew sequence numbers: the others found their operation id and wrote nothing.
    monitor.disconnect();
    expect(deliveries.few).toBeGreaterThan(1);
    expect(deliveries.many).toBeGreaterThan(1);
    expect(Number(await raw.get(keys.seq))).toBe(204);
    await project.close();
    await backend.close();
  });
});
