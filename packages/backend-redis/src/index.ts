import { defineStorageBackend } from "@themis/core";
import { redisConfigSchema, type RedisConfig } from "./config.js";
import { openConnection } from "./connection.js";
import { RedisContext } from "./context.js";
import { translate } from "./errors.js";
import { KeyLayout } from "./keys.js";
import { RedisStorage } from "./storage.js";
import { REDIS_SCHEMES, configFromRedisUri } from "./uri.js";
import "./backend-configs.js";

async function createRedisStorage(config: RedisConfig): Promise<RedisStorage> {
  const connection = openConnection(config);
  if (connection.owned) {
    const client = connection.client;
    // Failures reach callers through their commands; without a listener ioredis would also
    // print every reconnection error to the console.
    let lastError: unknown;
    client.on("error", (error: unknown) => {
      lastError = error;
    });
    try {
      await client.connect();
    } catch (error) {
      client.disconnect();
      // connect() rejects with "Connection is closed."; the error event said why (ECONNREFUSED, WRONGPASS, ...).
      throw translate(lastError ?? error, connection.endpoint, connection.secrets, "connecting");
    }
  }
  return new RedisStorage(new RedisContext(connection, new KeyLayout(config.keyPrefix), config.retries));
}

/**
 * The "redis" storage backend. Installed packages are found by the registry; import this
 * to register it explicitly or to create a backend directly.
 *
 * @example
 * ```ts
 * const project = await Project.create("my_project", "redis://127.0.0.1:6379/0");
 * const project2 = await Project.create("other", "redis", { host: "redis.internal", keyPrefix: "evals" });
 * ```
 */
export const redisBackend = defineStorageBackend({
  name: "redis",
  description: "Redis (ioredis): atomic Lua writes, any number of processes, standalone or cluster",
  schemes: REDIS_SCHEMES,
  configSchema: redisConfigSchema,
  configFromUri: configFromRedisUri,
  create: createRedisStorage,
});

export default redisBackend;
export { redisConfigSchema, type RedisConfig, type RedisConfigInput } from "./config.js";
export { configFromRedisUri, REDIS_SCHEMES } from "./uri.js";
export { KeyLayout, LAYOUT_VERSION, type TableKeys } from "./keys.js";
export { RedisStorage } from "./storage.js";
