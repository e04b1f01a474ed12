import { Redis, type RedisOptions } from "ioredis";
import type { BullmqConfig } from "./config.js";

/** Where the executor connects and how, without the password in any printable field. */
export interface ConnectionSettings {
  /** ioredis options (holds the password: never print). */
  readonly options: RedisOptions;
  /** "redis://host:port/db" without credentials, for logs and messages. */
  readonly address: string;
  /** Secret strings to scrub from any message that could echo them. */
  readonly secrets: readonly string[];
}

/** Reconnect forever with a capped backoff: BullMQ workers must outlive a Redis restart. */
function reconnectDelay(attempt: number): number {
  return Math.min(1000, 50 * 2 ** Math.min(attempt, 5));
}

/**
 * The ioredis options of a validated config: `url` (or $REDIS_URL) first, explicit
 * fields over it. `maxRetriesPerRequest: null` is what BullMQ requires of the connections
 * of workers and event listeners (blocking commands must wait for a reconnect).
 */
export function connectionSettings(config: BullmqConfig, env: NodeJS.ProcessEnv = process.env): ConnectionSettings {
  const raw = config.url ?? (config.host === undefined && config.port === undefined ? env.REDIS_URL : undefined);
  const url = raw ? new URL(raw) : undefined;
  const password = config.password ?? (url?.password ? decodeURIComponent(url.password) : undefined);
  const username = config.username ?? (url?.username ? decodeURIComponent(url.username) : undefined);
  const host = config.host ?? (url?.hostname ? url.hostname.replace(/^\[|\]$/g, "") : "127.0.0.1");
  const port = config.port ?? (url?.port ? Number(url.port) : 6379);
  const db = config.db ?? (url && url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0);
  const tls = config.tls ?? url?.protocol === "rediss:";
  const options: RedisOptions = {
    host,
    port,
    db,
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(tls ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    retryStrategy: reconnectDelay,
    connectTimeout: 10_000,
  };
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    options,
    address: `${tls ? "rediss" : "redis"}://${username ? `${encodeURIComponent(username)}@` : ""}${shownHost}:${port}/${db}`,
    secrets: [password, raw].filter((s): s is string => Boolean(s)),
  };
}

/** A new client on the settings' server (lazy: it connects on first use). */
export function connect(settings: ConnectionSettings, extra: RedisOptions = {}): Redis {
  return new Redis({ ...settings.options, lazyConnect: true, ...extra });
}
