import { MAX_TIMEOUT_MS, timeoutMsSchema } from "@themis/core";
import { z } from "zod";
import type { BoxClient } from "box-node-sdk";

const isBoxClient = (value: unknown): value is BoxClient =>
  typeof value === "object" &&
  value !== null &&
  typeof (value as { folders?: unknown }).folders === "object" &&
  typeof (value as { uploads?: unknown }).uploads === "object" &&
  typeof (value as { networkSession?: unknown }).networkSession === "object";

const url = z.url({ protocol: /^https?$/ });

/**
 * Config of the "box/csv" backend. Give at most one way to authenticate; when none is
 * given, the backend reads `BOX_DEVELOPER_TOKEN`, then `BOX_JWT_CONFIG_FILE`, then
 * `BOX_CLIENT_ID` + `BOX_CLIENT_SECRET` (+ `BOX_ENTERPRISE_ID` or `BOX_USER_ID`) from the
 * environment. Secrets are marked so that `redactConfig` hides them.
 */
export const boxConfigSchema = z
  .strictObject({
    rootFolderId: z
      .string()
      .regex(/^\d+$/, "a Box folder id is a string of digits")
      .default("0")
      .describe('Folder that holds one folder per project ("0" is the account\'s All Files). A dedicated folder is recommended.'),
    developerToken: z
      .string()
      .min(1)
      .optional()
      .meta({ secret: true })
      .describe("Developer token (valid 60 minutes), from the app's Configuration page. Env: BOX_DEVELOPER_TOKEN."),
    clientId: z.string().min(1).optional().describe("Client ID of a Client Credentials Grant app. Env: BOX_CLIENT_ID."),
    clientSecret: z.string().min(1).optional().meta({ secret: true }).describe("Client secret of that app. Env: BOX_CLIENT_SECRET."),
    enterpriseId: z.string().min(1).optional().describe("Enterprise ID to act as the app's service account. Env: BOX_ENTERPRISE_ID."),
    userId: z.string().min(1).optional().describe("User ID to act as (Client Credentials or JWT). Env: BOX_USER_ID."),
    jwtConfigFile: z.string().min(1).optional().describe("Path of the JSON config (with private key) downloaded for a JWT app. Env: BOX_JWT_CONFIG_FILE."),
    client: z
      .custom<BoxClient>(isBoxClient, { message: "expected a BoxClient from box-node-sdk" })
      .optional()
      // It holds its credentials: never printed with the config.
      .meta({ secret: true })
      .describe("An existing BoxClient (any auth); its base URLs and retry strategy are kept unless overridden here."),
    baseUrl: url.optional().describe("API base URL (default https://api.box.com); for regional endpoints and tests."),
    uploadUrl: url.optional().describe("Upload base URL (default https://upload.box.com/api)."),
    oauth2Url: url.optional().describe("OAuth2 base URL (default https://account.box.com/api/oauth2)."),
    conflictRetries: z
      .int()
      .min(0)
      .max(100)
      .default(10)
      .describe("How many times a write re-reads and re-applies after a concurrent change (HTTP 412) before a ConflictError."),
    requestRetries: z.int().min(0).max(20).default(5).describe("Retries of a request answered 429, 5xx or failing on the network."),
    retryBaseDelayMs: z.int().min(0).max(MAX_TIMEOUT_MS).default(500).describe("Base of the jittered exponential backoff between retries."),
    retryMaxDelayMs: z.int().min(0).max(MAX_TIMEOUT_MS).default(30_000).describe("Upper bound of one backoff delay, and of a server's retry-after."),
    timeoutMs: timeoutMsSchema
      .default(120_000)
      .describe(
        "Deadline of one HTTP request (then it fails and is retried): a server that accepts and never answers cannot hang a call. Raise it for very large tables on slow links.",
      ),
    folderPageSize: z.int().min(1).max(1000).default(1000).describe("Items per page when listing a folder (Box allows at most 1000)."),
  })
  .superRefine((config, ctx) => {
    const modes = [
      config.developerToken !== undefined && "developerToken",
      (config.clientId !== undefined || config.clientSecret !== undefined) && "clientId",
      config.jwtConfigFile !== undefined && "jwtConfigFile",
      config.client !== undefined && "client",
    ].filter((m): m is string => typeof m === "string");
    if (modes.length > 1) {
      ctx.addIssue({ code: "custom", path: [modes[1]!], message: `give one way to authenticate, not ${modes.join(" and ")}` });
    }
    if (config.enterpriseId !== undefined && config.userId !== undefined) {
      ctx.addIssue({ code: "custom", path: ["userId"], message: "give enterpriseId or userId, not both" });
    }
  });

/** Input of the "box/csv" config (what users write). */
export type BoxConfigInput = z.input<typeof boxConfigSchema>;
/** The validated "box/csv" config, with defaults applied. */
export type BoxConfig = z.output<typeof boxConfigSchema>;
