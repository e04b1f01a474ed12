import { decodeUriField } from "@themis/core";

/**
 * Turn a Redis URI into config fields. Accepted forms (as redis-cli, redis-py and
 * daskperiment accept them):
 *
 * - `redis://[[username]:password@]host[:port][/db][?option=value...]`
 * - `rediss://...` the same over TLS
 * - `unix:///path/to/redis.sock[?db=N&password=...&username=...]`
 *
 * Query options are config fields (`keyPrefix`, `db`, `connectTimeout`, ...); unknown ones
 * are passed through so that config validation names them. Numbers and booleans are
 * converted; everything else stays a string.
 */
export function configFromRedisUri(uri: URL): Record<string, unknown> {
  const decode = (text: string, field: string): string => decodeUriField(text, field, "redis");
  const scheme = uri.protocol.slice(0, -1).toLowerCase();
  const config: Record<string, unknown> = {};
  if (scheme === "unix") {
    // unix:///tmp/redis.sock → pathname "/tmp/redis.sock"; a relative path cannot be told apart from a host.
    config.path = decode(uri.host ? `/${uri.host}${uri.pathname}` : uri.pathname, "path");
  } else {
    if (uri.hostname) config.host = uri.hostname.replace(/^\[(.*)\]$/, "$1"); // IPv6 literals come bracketed
    if (uri.port) config.port = Number(uri.port);
    const db = uri.pathname.replace(/^\//, "");
    if (db !== "") config.db = /^\d+$/.test(db) ? Number(db) : db;
    if (scheme === "rediss") config.tls = true;
  }
  if (uri.username) config.username = decode(uri.username, "username");
  if (uri.password) config.password = decode(uri.password, "password");
  for (const [key, value] of uri.searchParams) config[key] = typed(value);
  return config;
}

function typed(value: string): unknown {
  if (/^-?\d+$/.test(value)) return Number(value);
  if (value === "true") return true;
  if (value === "false") return false;
  return value;
}

/** The URI schemes of the "redis" backend. */
export const REDIS_SCHEMES = ["redis", "rediss", "unix"] as const;
