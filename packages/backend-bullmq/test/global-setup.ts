// Starts one redis-server (appendfsync always) for the whole run and tells the test files
// where it is. REDIS_URL points at an existing server instead. The server code is the
// redis storage backend's test support, shared rather than copied.
import type { TestProject } from "vitest/node";
import { RedisServer, redisServerInstalled } from "../../backend-redis/test/support/redis-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the shared server, or "" when there is none. */
    bullmqRedisUrl: string;
    /** Why there is no server, when there is none. */
    bullmqRedisMissing: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.REDIS_URL;
  if (external) {
    project.provide("bullmqRedisUrl", external);
    project.provide("bullmqRedisMissing", "");
    return async () => undefined;
  }
  if (!redisServerInstalled()) {
    project.provide("bullmqRedisUrl", "");
    project.provide("bullmqRedisMissing", "redis-server is not installed (apt-get install redis-server) and REDIS_URL is not set");
    return async () => undefined;
  }
  const server = await RedisServer.start({ persistence: true });
  project.provide("bullmqRedisUrl", server.url);
  project.provide("bullmqRedisMissing", "");
  return () => server.stop();
}
