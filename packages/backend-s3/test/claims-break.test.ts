// The claims suite on a real S3 (Ceph radosgw): a holder frozen (SIGSTOP) past its heartbeat
// and woken after its blocks were taken over, runners killed with SIGKILL at random moments,
// and a dataset one row past a block. No "skewed" area: judging runners on skewed clocks is
// core's (its HeartbeatWatch), whatever the storage; local/csv's claims tests run it, and at
// ~17 s a test on this server it is the slowest part of the suite.
import { claimsSuite } from "@themis/conformance";
import { s3Backend } from "../src/index.js";
import { backendConfig, freshBucket, s3Server } from "./support/env.js";

const server = s3Server();

claimsSuite({
  name: "s3",
  skip: !server && "no S3 server",
  // The runner processes load the built backend, as a user's process would.
  module: new URL("../dist/index.js", import.meta.url).href,
  exportName: "s3Backend",
  definition: s3Backend,
  // A bucket per test (left behind, like every bucket of the test server).
  store: async (label) => {
    if (!server) throw new Error("no S3 server");
    return { config: { ...backendConfig(server, await freshBucket(server, label)) } };
  },
  // An S3 write takes tens of ms on a loaded machine: beats 500 ms apart, stale after 2 s.
  heartbeatMs: 500,
  rows: 320,
  killSeeds: [4, 5],
  smallRows: [65],
  areas: ["frozen", "killed", "small"],
  timeout: 90_000,
});
