import { defineStorageBackend } from "@themis/core";
import { redisConfigSchema, type RedisConfig } from "./config.js";
import { connectOwned, openConnection } from "./connection.js";
import { RedisContext } from "./context.js";
import { KeyLayout } from "./keys.js";
import { RedisStorage } from "./storage.js";
import { REDIS_SCHEMES, configFromRedisUri } from "./uri.js";
import "./backend-configs.js";

async function createRedisStorage(config: RedisConfig): Promise<RedisStorage> {
  const connection = openConnection(config);
  if (connection.owned) await connectOwned(connection, config.connectTimeout);
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
