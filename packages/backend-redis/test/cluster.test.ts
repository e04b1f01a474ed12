import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cluster } from "ioredis";
import { Project } from "@themis/core";
import { requireService, storageSuite } from "@themis/conformance";
import { KeyLayout, type RedisStorage } from "../src/index.js";
import { createBackend, serverBinary } from "./support/env.js";
import { RedisCluster } from "./support/redis-cluster.js";

// A cluster of servers of its own: needs the redis-server binary (and redis-cli).
const canRun = requireService("redis-server (cluster tests)", serverBinary, "redis-server is not installed (apt-get install redis-server)");

let cluster: RedisCluster | undefined;
let client: Cluster | undefined;
const prefix = "themis-cluster";

async function clusterClient(): Promise<Cluster> {
  cluster ??= await RedisCluster.start();
  client ??= new Cluster(cluster.startupNodes, { redisOptions: { maxRetriesPerRequest: 3 } });
  return client;
}

afterAll(async () => {
  client?.disconnect();
  await cluster?.stop();
});

// The whole suite on a cluster client the backend is given (and never closes): every
// project lives in one hash slot, so every script and MULTI stays on one node.
storageSuite({
  name: "redis (cluster)",
  skip: canRun ? false : "no redis-server",
  create: async () => createBackend({ url: undefined, client: await clusterClient(), keyPrefix: prefix }),
  oracle: {
    async rowIds(project, kind, table) {
      const keys = new KeyLayout(prefix).table(project, kind, table);
      const c = await clusterClient();
      if (!(await c.sismember(keys.index, table))) return undefined;
      return c.zrange(keys.order, "0", "-1");
    },
  },
});

describe.skipIf(!canRun)("on a cluster", () => {
  let backend: RedisStorage;
  beforeAll(async () => {
    backend = await createBackend({ url: undefined, client: await clusterClient(), keyPrefix: prefix });
  });

  it("spreads projects over the nodes, and lists and deletes them across slots", async () => {
    const names = Array.from({ length: 12 }, (_, i) => `spread_${i}`);
    for (const name of names) await (await (await Project.create(name, backend)).createDataset("d")).appendMany(Array.from({ length: 100 }, (_, i) => ({ i })));
    // Each project sits in its own slot: more than one node holds keys.
    const sizes = await Promise.all((await clusterClient()).nodes("master").map((node) => node.dbsize()));
    expect(sizes.filter((n) => n > 0).length).toBeGreaterThan(1);
    expect(await backend.listProjects()).toEqual(expect.arrayContaining(names));
    for (const name of names) await backend.deleteProject(name);
    expect(await backend.listProjects()).not.toEqual(expect.arrayContaining([names[0]]));
  });

  it("leaves the given cluster client open when closed", async () => {
    const other = await createBackend({ url: undefined, client: await clusterClient(), keyPrefix: prefix });
    await other.close();
    expect((await clusterClient()).status).toBe("ready");
    expect(String(other)).toContain("cluster 127.0.0.1:");
  });
});
