// The claims suite on a real Redis: a holder frozen (SIGSTOP) past its heartbeat and woken
// after its blocks were taken over, runners killed with SIGKILL at random moments, datasets
// of about one block, and rows appended mid-run. No "skewed" area: judging runners on skewed
// clocks is core's (its HeartbeatWatch), whatever the storage; local/csv's claims tests run it.
import { afterAll } from "vitest";
import { claimsSuite } from "@themis/conformance";
import { redisBackend } from "../src/index.js";
import { dropPrefix, rawClient, redisAvailable, redisUrl, uniquePrefix } from "./support/env.js";

const raw = redisAvailable ? rawClient() : undefined;
afterAll(() => raw?.disconnect());

claimsSuite({
  name: "redis",
  skip: !redisAvailable && "no Redis server",
  // The runner processes load the built backend, as a user's process would.
  module: new URL("../dist/index.js", import.meta.url).href,
  exportName: "redisBackend",
  definition: redisBackend,
  store: (label) => {
    const keyPrefix = uniquePrefix(label);
    return { config: { url: redisUrl, keyPrefix }, cleanup: async () => raw && (await dropPrefix(raw, keyPrefix)) };
  },
  // Beats 200 ms apart, stale after 800 ms.
  heartbeatMs: 200,
  rows: 640,
  killSeeds: [1, 2, 3],
  smallRows: [1, 64, 65],
  areas: ["frozen", "killed", "small", "appended"],
});
