import { z } from "zod";
import { timeoutMsSchema } from "@themis/core";

/**
 * Config of the "postgres" backend: `host`/`port`/`database`/`user`/`password` (a
 * `postgres://` URI fills them in). Fields left out fall back to libpq's environment
 * variables (`PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`, `PGPASSWORD`), so a password can
 * stay out of config files. The password is marked secret: `redactConfig` hides it and no
 * message of this backend contains it.
 */
export const postgresConfigSchema = z.strictObject({
  host: z.string().min(1).optional().describe('Server host name, address, or a unix socket folder. Default $PGHOST or "localhost".'),
  port: z.int().min(1).max(65535).optional().describe("Server port. Default $PGPORT or 5432."),
  database: z.string().min(1).optional().describe("Database name. Default $PGDATABASE or the user name."),
  user: z.string().min(1).optional().describe("Role to connect as. Default $PGUSER or the OS user."),
  password: z.string().min(1).optional().meta({ secret: true }).describe("Password. Default $PGPASSWORD (keep it out of config files)."),
  ssl: z.boolean().default(false).describe("Connect over TLS (verifying the server certificate)."),
  schema: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, "use 1-63 lower-case letters, digits or '_', not starting with a digit")
    .default("themis")
    .describe("PostgreSQL schema holding Themis's three tables; several apps can share a database with different schemas."),
  applicationName: z
    .string()
    .regex(/^[\x20-\x7e]{1,63}$/, "use 1-63 printable ASCII characters")
    .default("themis")
    .describe("application_name of the connections, as pg_stat_activity shows it."),
  poolSize: z.int().min(1).max(1000).default(10).describe("Most connections the backend opens at once."),
  connectTimeout: timeoutMsSchema.default(10_000).describe("Milliseconds to wait for a connection before the call fails with ERR_THEMIS_UNAVAILABLE."),
  batchSize: z.int().min(1).max(100_000).default(1000).describe("Rows fetched per round trip when streaming a table with entries()."),
});

/** The config as the backend receives it (validated, with defaults). */
export type PostgresConfig = z.output<typeof postgresConfigSchema>;
/** The config as a user writes it. */
export type PostgresConfigInput = z.input<typeof postgresConfigSchema>;
