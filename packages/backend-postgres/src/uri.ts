import { decodeUriField } from "@themis/core";

/** The URI schemes of the "postgres" backend. */
export const POSTGRES_SCHEMES = ["postgres", "postgresql"] as const;

/**
 * Turn a PostgreSQL URI into config fields, as libpq reads one:
 * `postgres://[user[:password]@]host[:port][/database][?option=value...]`.
 *
 * Query options are config fields (`schema`, `poolSize`, `connectTimeout`, ...); unknown
 * ones are passed through so that config validation names them. Numbers are converted.
 */
export function configFromPostgresUri(uri: URL): Record<string, unknown> {
  const decode = (text: string, field: string): string => decodeUriField(text, field, "postgres");
  const config: Record<string, unknown> = {};
  if (uri.hostname) config.host = decode(uri.hostname.replace(/^\[(.*)\]$/, "$1"), "host");
  if (uri.port) config.port = Number(uri.port);
  const database = uri.pathname.replace(/^\//, "");
  if (database !== "") config.database = decode(database, "database");
  if (uri.username) config.user = decode(uri.username, "user");
  if (uri.password) config.password = decode(uri.password, "password");
  for (const [key, value] of uri.searchParams) config[key] = /^\d+$/.test(value) ? Number(value) : value;
  return config;
}
