import { InvalidConfigError, decodeUriField, timeoutMsSchema } from "@themis/core";
import { z } from "zod";

/** The backend's registry name. */
export const BACKEND_NAME = "azure-blob";

/** Environment variable read when the config names no credentials. */
export const CONNECTION_STRING_ENV = "AZURE_STORAGE_CONNECTION_STRING";

/** Config of the "azure-blob" storage backend. */
export const azureConfigSchema = z
  .strictObject({
    container: z
      .string()
      .regex(/^(?!.*--)[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, "not a valid container name (3-63 lowercase letters, digits and single dashes)")
      .describe("Container that holds the projects. It must exist."),
    prefix: z
      .string()
      .default("")
      .refine((p) => !p.split("/").some((part) => part === ".." || part === "."), "no '.' or '..' segments")
      .transform(normalizePrefix)
      .describe('Blob name prefix under which every project lives, e.g. "team-a/themis". Default: the container root.'),
    connectionString: z
      .string()
      .min(1)
      .optional()
      .meta({ secret: true })
      .describe(
        `Storage account connection string (AccountKey or SharedAccessSignature). Default: $${CONNECTION_STRING_ENV} when no accountKey or sasToken is given.`,
      ),
    accountName: z.string().min(1).optional().describe("Storage account name (with accountKey or sasToken)."),
    accountKey: z.string().min(1).optional().meta({ secret: true }).describe("Storage account key (shared key authorization)."),
    sasToken: z
      .string()
      .min(1)
      .optional()
      .meta({ secret: true })
      .describe("Shared access signature (account or container SAS), with or without the leading '?'."),
    endpoint: z
      .url()
      .optional()
      .describe("Blob service URL. Default: https://<accountName>.blob.core.windows.net (Azurite: http://127.0.0.1:10000/devstoreaccount1)."),
    concurrency: z.number().int().min(1).max(256).default(16).describe("Downloads a table read or a delete keeps in flight."),
    maxConflictRetries: z.number().int().min(0).default(40).describe("Attempts to win the next segment number against other writers."),
    requestTimeoutMs: timeoutMsSchema
      .default(60_000)
      .describe(
        "Milliseconds a call may wait with no answer (retries included) before it fails with ERR_THEMIS_UNAVAILABLE: a server that accepts and never answers cannot hang a call.",
      ),
    maxTries: z.number().int().min(1).max(20).default(4).describe("Attempts per request on network errors, timeouts and 5xx answers (the SDK's retry policy)."),
  })
  .superRefine((config, ctx) => {
    const ways = [config.connectionString, config.accountKey, config.sasToken].filter((v) => v !== undefined).length;
    if (ways > 1) {
      ctx.addIssue({ code: "custom", path: ["connectionString"], message: "give only one of connectionString, accountKey, sasToken" });
    }
    if ((config.accountKey !== undefined || config.sasToken !== undefined) && config.accountName === undefined && config.endpoint === undefined) {
      ctx.addIssue({ code: "custom", path: ["accountName"], message: "accountKey and sasToken need accountName (or endpoint)" });
    }
    if (config.accountKey !== undefined && config.accountName === undefined) {
      ctx.addIssue({ code: "custom", path: ["accountName"], message: "accountKey needs accountName" });
    }
  });

/** The config as written by users (before defaults). */
export type AzureConfigInput = z.input<typeof azureConfigSchema>;
/** The validated config, with defaults. */
export type AzureConfig = z.output<typeof azureConfigSchema>;

function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, "").replace(/\/+$/, "");
  return trimmed === "" ? "" : `${trimmed}/`;
}

const SECRETS = new Set(["connectionString", "accountKey", "sasToken"]);
const NUMERIC = new Set(["concurrency", "maxConflictRetries", "requestTimeoutMs", "maxTries"]);

/**
 * Config fields from `azure://container/prefix?accountName=acct&endpoint=http%3A%2F%2F127.0.0.1%3A10000%2Fdevstoreaccount1`.
 * Secrets never come from a URI: `$AZURE_STORAGE_CONNECTION_STRING`, or a config file's `${env:…}`.
 */
export function configFromUri(uri: URL): Record<string, unknown> {
  const out: Record<string, unknown> = { container: decodeUriField(uri.hostname, "container", BACKEND_NAME) };
  const prefix = decodeUriField(uri.pathname, "prefix", BACKEND_NAME);
  if (prefix !== "" && prefix !== "/") out.prefix = prefix;
  for (const [key, value] of uri.searchParams) {
    if (SECRETS.has(key)) {
      // A URI ends up in logs and shell history: refuse rather than accept a secret there.
      throw new InvalidConfigError(
        `${BACKEND_NAME}: "${key}" cannot be given in a URI; use $${CONNECTION_STRING_ENV} or a config file with \${env:…}`,
        [{ path: key, message: "secret in URI" }],
        { backend: BACKEND_NAME },
      );
    }
    out[key] = NUMERIC.has(key) ? Number(value) : value; // unknown keys fail validation with a did-you-mean
  }
  return out;
}
