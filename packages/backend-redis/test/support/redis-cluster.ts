// A three-node Redis Cluster (no replicas) on loopback ports, for the cluster tests.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { RedisServer } from "./redis-server.js";

const run = promisify(execFile);

export class RedisCluster {
  readonly nodes: RedisServer[];

  private constructor(nodes: RedisServer[]) {
    this.nodes = nodes;
  }

  /** Start three cluster-enabled servers, join them and spread the slots; resolves when the cluster is ok. */
  static async start(): Promise<RedisCluster> {
    const nodes = await Promise.all(
      Array.from({ length: 3 }, () =>
        RedisServer.start({ args: ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"] }),
      ),
    );
    const cluster = new RedisCluster(nodes);
    try {
      await run("redis-cli", ["--cluster", "create", ...nodes.map((n) => `127.0.0.1:${n.port}`), "--cluster-replicas", "0", "--cluster-yes"]);
      for (const node of nodes) {
        const client = new Redis(node.port, "127.0.0.1");
        try {
          while (!/cluster_state:ok/.test(await client.cluster("INFO"))) await new Promise((resolve) => setTimeout(resolve, 50));
        } finally {
          client.disconnect();
        }
      }
      return cluster;
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  /** Seed nodes for an ioredis Cluster client. */
  get startupNodes(): { host: string; port: number }[] {
    return this.nodes.map((n) => ({ host: "127.0.0.1", port: n.port }));
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
