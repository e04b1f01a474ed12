// What every test file needs: the shared server (or a loud skip), fresh backends with a
// prefix of their own, and a raw ioredis client to look at what really reached Redis.
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { Redis } from "ioredis";
import { requireService } from "@themis/conformance";
import { parseBackendConfig } from "@themis/core";
import { redisBackend, type RedisConfigInput, type RedisStorage } from "../../src/index.js";

export const redisUrl = inject("redisUrl");
if (redisUrl === undefined) throw new Error("test/global-setup.ts did not run: run the tests through vitest with this package's config");
/** True when a server is there; false (after a loud warning) when tests must skip. Throws in CI. */
export const redisAvailable = requireService("redis", redisUrl !== "", inject("redisMissing"));
/** True when tests may start servers of their own (restart, password). */
export const serverBinary = inject("redisServerBinary");

/** A key prefix no other test file or run uses. */
export function uniquePrefix(label: string): string {
  return `themis-test:${label}:${randomBytes(4).toString("hex")}`;
}

/** A backend over the shared server, validated through the schema as the registry would. */
export async function createBackend(config: RedisConfigInput = {}): Promise<RedisStorage> {
  return (await redisBackend.create(parseBackendConfig(redisBackend, { url: redisUrl, ...config }))) as RedisStorage;
}

/** A plain client on the shared server, for raw probes. */
export function rawClient(url = redisUrl): Redis {
  return new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 });
}

/** Every key that starts with `prefix` (SCAN: fine in tests, never in the backend). */
export async function keysWithPrefix(client: Redis, prefix: string): Promise<string[]> {
  const out: string[] = [];
  let cursor = "0";
  do {
    const [next, keys] = await client.scan(cursor, "MATCH", `${prefix.replace(/[*?[\]\\]/g, "\\$&")}*`, "COUNT", 1000);
    out.push(...keys);
    cursor = next;
  } while (cursor !== "0");
  return out.sort();
}

/** Delete every key of a test prefix. */
export async function dropPrefix(client: Redis, prefix: string): Promise<void> {
  const keys = await keysWithPrefix(client, prefix);
  for (let i = 0; i < keys.length; i += 500) await client.unlink(...keys.slice(i, i + 500));
}
