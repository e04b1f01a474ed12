// Starts one redis-server for the whole test run (REDIS_URL points at an existing one
// instead) and tells the test files where it is through vitest's provide/inject.
import type { TestProject } from "vitest/node";
import { RedisServer, redisServerInstalled } from "./support/redis-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the shared server, or "" when there is none. */
    redisUrl: string;
    /** Why there is no server, when there is none. */
    redisMissing: string;
    /** True when the tests may start their own redis-server processes. */
    redisServerBinary: boolean;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const binary = redisServerInstalled();
  project.provide("redisServerBinary", binary);
  const external = process.env.REDIS_URL;
  if (external) {
    project.provide("redisUrl", external);
    project.provide("redisMissing", "");
    return async () => undefined;
  }
  if (!binary) {
    project.provide("redisUrl", "");
    project.provide("redisMissing", "redis-server is not installed (apt-get install redis-server) and REDIS_URL is not set");
    return async () => undefined;
  }
  // KEYS and FLUSH* are renamed away: a backend that used them would fail the tests.
  const server = await RedisServer.start({ args: ["--rename-command", "KEYS", "", "--rename-command", "FLUSHDB", "", "--rename-command", "FLUSHALL", ""] });
  project.provide("redisUrl", server.url);
  project.provide("redisMissing", "");
  return () => server.stop();
}
