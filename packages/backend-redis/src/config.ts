import { z } from "zod";
import type { Cluster, Redis } from "ioredis";
import { timeoutMsSchema } from "@themis/core";
import { REDIS_SCHEMES, configFromRedisUri } from "./uri.js";

// Redis keeps a database index in a C int; SELECT beyond the server's `databases` setting
// fails, which the connection reports (the client would otherwise stay on db 0).
const MAX_DB = 2 ** 31 - 1;
const dbSchema = z.int().min(0).max(MAX_DB);

const isRedisClient = (value: unknown): value is Redis | Cluster =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as { isCluster?: unknown }).isCluster === "boolean" &&
  typeof (value as { call?: unknown }).call === "function";

/**
 * Config of the "redis" backend. Connect with `url`, with `host`/`port`/`db` (or `path` for
 * a unix socket), or pass an existing ioredis `client` (a `Redis` or a `Cluster`), which
 * the backend uses but never closes. The password is marked secret: `redactConfig` hides
 * it, and no message or log of this backend contains it.
 */
export const redisConfigSchema = z
  .strictObject({
    url: z
      .string()
      .optional()
      .meta({ secret: true })
      .describe('Connection URI: "redis://[user:password@]host[:port][/db]", "rediss://..." (TLS) or "unix:///path/redis.sock".'),
    host: z.string().min(1).optional().describe('Server host name or address. Default "127.0.0.1".'),
    port: z.int().min(1).max(65535).optional().describe("Server port. Default 6379."),
    path: z.string().min(1).optional().describe("Unix socket path (instead of host and port)."),
    db: dbSchema
      .optional()
      .describe("Database number (SELECT). Default 0. Not available on a cluster. Must exist on the server (its `databases` setting, 16 by default)."),
    username: z.string().min(1).optional().describe("ACL user name (Redis 6+)."),
    password: z.string().min(1).optional().meta({ secret: true }).describe("Password (AUTH)."),
    tls: z
      .union([z.boolean(), z.record(z.string(), z.unknown())])
      .optional()
      .describe("Use TLS: true, or Node's tls.connect options (ca, cert, key, servername, ...). rediss:// sets true."),
    keyPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_.:\-/]{1,100}$/, "use 1-100 letters, digits, '_', '.', ':', '-' or '/' (no braces or spaces)")
      .default("themis")
      .describe('Prefix of every key, so several apps share one database: "<keyPrefix>:{<project>}:...".'),
    client: z
      .custom<Redis | Cluster>(isRedisClient, { message: "expected an ioredis Redis or Cluster instance" })
      .optional()
      .describe("An existing ioredis Redis or Cluster client to use. The backend never closes it."),
    connectTimeout: timeoutMsSchema
      .default(10_000)
      .describe("Milliseconds to wait for a connection, including the server's first answers, before the attempt fails."),
    commandTimeout: timeoutMsSchema
      .default(60_000)
      .describe("Milliseconds before a command without reply fails (and is retried): a server that accepts and never answers cannot hang a call."),
    retries: z
      .int()
      .min(0)
      .max(20)
      .default(4)
      .describe("Retries, with jittered backoff, of an operation that failed because the connection was lost. Writes are idempotent, so retrying is safe."),
  })
  .superRefine((config, ctx) => {
    const endpoint = (["host", "port", "path", "db", "username", "password", "tls"] as const).filter((k) => config[k] !== undefined);
    if (config.client && (config.url !== undefined || endpoint.length > 0)) {
      ctx.addIssue({
        code: "custom",
        path: ["client"],
        message: `give either client or connection options, not both (also given: ${[...(config.url ? ["url"] : []), ...endpoint].join(", ")})`,
      });
    }
    if (config.url !== undefined) checkUrl(config.url, ctx);
    if (config.path !== undefined && (config.host !== undefined || config.port !== undefined)) {
      ctx.addIssue({ code: "custom", path: ["path"], message: "give either path (unix socket) or host/port, not both" });
    }
  });

/**
 * Check the `url` field as the connection will read it: a parseable URI of a redis scheme
 * whose fields are valid (a db of "abc" or 99999999999 would otherwise reach the client).
 * The URI itself is never echoed: it may hold a password.
 */
function checkUrl(url: string, ctx: z.RefinementCtx): void {
  let fields: Record<string, unknown>;
  let scheme: string;
  try {
    const parsed = new URL(url);
    scheme = parsed.protocol.slice(0, -1).toLowerCase();
    fields = configFromRedisUri(parsed);
  } catch (error) {
    const detail = (error as { issues?: { message: string }[] }).issues?.[0]?.message;
    ctx.addIssue({ code: "custom", path: ["url"], message: detail ?? "not a valid URI" });
    return;
  }
  if (!(REDIS_SCHEMES as readonly string[]).includes(scheme)) {
    ctx.addIssue({ code: "custom", path: ["url"], message: `scheme "${scheme}:" is not one of ${REDIS_SCHEMES.map((s) => `${s}://`).join(", ")}` });
  }
  if (fields.db !== undefined && !dbSchema.safeParse(fields.db).success) {
    ctx.addIssue({ code: "custom", path: ["url"], message: `database ${JSON.stringify(fields.db)} in the URI is not a number from 0 to ${MAX_DB}` });
  }
}

/** The config as the backend receives it (validated, with defaults). */
export type RedisConfig = z.output<typeof redisConfigSchema>;
/** The config as a user writes it. */
export type RedisConfigInput = z.input<typeof redisConfigSchema>;
