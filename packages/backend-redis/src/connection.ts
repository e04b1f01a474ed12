import { Redis, type Cluster, type RedisOptions } from "ioredis";
import { DeadlineError, InvalidConfigError, UnavailableError, backoffDelay, withDeadline, type ThemisError } from "@themis/core";
import { BACKEND_NAME, translate } from "./errors.js";
import { configFromRedisUri } from "./uri.js";
import type { RedisConfig } from "./config.js";

/** Where the backend connects, for messages: never holds a password. */
export interface Endpoint {
  /** "host:port", "/path/redis.sock" or "cluster host:port,host:port". */
  address: string;
  db: number;
  tls: boolean;
  username: string | undefined;
}

/** A client and whether the backend created it (and so closes it). */
export interface Connection {
  client: Redis | Cluster;
  owned: boolean;
  endpoint: Endpoint;
  /** Every secret of the config (passwords), to scrub from messages that may echo them. */
  secrets: string[];
}

/** Reconnect delay: jittered exponential backoff from 50 ms, capped at 1 s. Never gives up. */
function reconnectDelay(attempt: number): number {
  // At least 10 ms, so a server that is down is not hammered by back-to-back attempts.
  return 10 + backoffDelay({ minDelayMs: 50, maxDelayMs: 1000 }, attempt);
}

/** The connection options of a validated config: `url` first, explicit fields over it. */
function connectionFields(config: RedisConfig): Partial<RedisConfig> {
  const fromUrl = config.url === undefined ? {} : (configFromRedisUri(new URL(config.url)) as Partial<RedisConfig>);
  const fields: Partial<RedisConfig> = { ...fromUrl };
  for (const key of ["host", "port", "path", "db", "username", "password", "tls"] as const) {
    if (config[key] !== undefined) (fields as Record<string, unknown>)[key] = config[key];
  }
  return fields;
}

/** Describe an existing client without reading its password. */
function describeClient(client: Redis | Cluster): Endpoint {
  if (client.isCluster) {
    const nodes = (client as Cluster).nodes?.() ?? [];
    let addresses = nodes.map((n) => `${n.options.host ?? "?"}:${n.options.port ?? "?"}`);
    if (addresses.length === 0) {
      // Not connected yet: the seed nodes it was given (host and port only).
      const seeds = (client as unknown as { startupNodes?: unknown[] }).startupNodes ?? [];
      addresses = seeds.map((s) =>
        typeof s === "object" && s ? `${(s as { host?: string }).host ?? "?"}:${(s as { port?: number }).port ?? "?"}` : String(s).replace(/\/\/[^@/]*@/, "//"),
      );
    }
    return { address: `cluster ${addresses.join(",") || "(not connected)"}`, db: 0, tls: false, username: undefined };
  }
  const o = (client as Redis).options;
  return { address: o.path ? o.path : `${o.host ?? "127.0.0.1"}:${o.port ?? 6379}`, db: o.db ?? 0, tls: Boolean(o.tls), username: o.username };
}

/**
 * Make the connection a config asks for. A client the backend creates connects lazily,
 * reconnects forever with backoff, and re-sends commands whose reply a dropped
 * connection lost (every write script is idempotent, so that is safe).
 */
export function openConnection(config: RedisConfig): Connection {
  if (config.client) {
    const client = config.client;
    const password = client.isCluster ? (client as Cluster).options.redisOptions?.password : (client as Redis).options.password;
    const secrets = [password].filter((s): s is string => Boolean(s));
    return { client, owned: false, endpoint: describeClient(client), secrets };
  }
  const f = connectionFields(config);
  const tls = f.tls === true ? {} : f.tls === false || f.tls === undefined ? undefined : f.tls;
  const options: RedisOptions = {
    ...(f.path ? { path: f.path } : { host: f.host ?? "127.0.0.1", port: f.port ?? 6379 }),
    // SELECT is sent by connectOwned(), which reports a failure: ioredis only emits it as
    // an event and goes on in db 0.
    db: 0,
    ...(f.username ? { username: f.username } : {}),
    ...(f.password ? { password: f.password } : {}),
    ...(tls ? { tls } : {}),
    lazyConnect: true,
    connectTimeout: config.connectTimeout,
    commandTimeout: config.commandTimeout,
    retryStrategy: reconnectDelay,
    // Queued commands fail after this many reconnect attempts (about 2.5 s of outage);
    // the backend's own retries (config.retries) then decide.
    maxRetriesPerRequest: 6,
    autoResendUnfulfilledCommands: true,
  };
  const client = new Redis(options);
  const endpoint: Endpoint = {
    address: f.path ? f.path : `${formatHost(f.host ?? "127.0.0.1")}:${f.port ?? 6379}`,
    db: f.db ?? 0,
    tls: Boolean(tls),
    username: f.username,
  };
  return { client, owned: true, endpoint, secrets: [f.password, config.url].filter((s): s is string => Boolean(s)) };
}

function formatHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** The endpoint as a URI without the password, for `toString()` and messages. */
export function endpointUri(endpoint: Endpoint): string {
  if (endpoint.address.startsWith("cluster ")) return endpoint.address;
  const user = endpoint.username ? `${encodeURIComponent(endpoint.username)}@` : "";
  if (endpoint.address.startsWith("/")) return `unix://${user}${endpoint.address}${endpoint.db ? `?db=${endpoint.db}` : ""}`;
  return `${endpoint.tls ? "rediss" : "redis"}://${user}${endpoint.address}/${endpoint.db}`;
}

/**
 * Connect a client this backend created, select its database, and fail (never hang) when
 * that does not finish within `connectTimeout`: ioredis' own timeout ends at the TCP
 * handshake, so a server that accepts and never answers would hang the ready check.
 */
export async function connectOwned(connection: Connection, connectTimeoutMs: number): Promise<void> {
  const client = connection.client as Redis;
  const { endpoint } = connection;
  // Failures reach callers through their commands; without a listener ioredis would also
  // print every reconnection error to the console.
  let lastError: unknown;
  client.on("error", (error: unknown) => {
    lastError = error;
  });
  const connect = async (): Promise<void> => {
    await client.connect();
    if (endpoint.db !== 0) await client.select(endpoint.db);
  };
  try {
    await withDeadline(connect(), connectTimeoutMs, `connecting to Redis at ${endpoint.address}`, { backend: BACKEND_NAME });
  } catch (error) {
    client.disconnect();
    throw connectError(error, lastError, connection);
  }
}

function connectError(error: unknown, lastError: unknown, connection: Connection): ThemisError {
  const where = `Redis at ${connection.endpoint.address}`;
  if (error instanceof DeadlineError) {
    return new UnavailableError(`cannot reach ${where}: no answer within connectTimeout (${error.timeoutMs} ms); is it a Redis server, and is it overloaded?`, {
      backend: BACKEND_NAME,
      cause: error,
    });
  }
  if (error instanceof Error && error.name === "ReplyError" && /^ERR .*DB index/i.test(error.message)) {
    return new InvalidConfigError(
      `invalid config for backend "${BACKEND_NAME}"`,
      [{ path: "db", message: `${where} has no database ${connection.endpoint.db} (SELECT failed: raise its "databases" setting or pick a lower db)` }],
      {
        backend: BACKEND_NAME,
        cause: error,
      },
    );
  }
  // connect() rejects with "Connection is closed."; the error event said why (ECONNREFUSED, WRONGPASS, ...).
  return translate(lastError ?? error, connection.endpoint, connection.secrets, "connecting");
}
