import { S3Client } from "@aws-sdk/client-s3";
import { decodeUriField, timeoutMsSchema } from "@themis/core";
import { z } from "zod";

/** The backend's registry name. */
export const BACKEND_NAME = "s3";

const credentialsSchema = z
  .strictObject({
    accessKeyId: z.string().min(1).describe("Access key id."),
    secretAccessKey: z.string().min(1).meta({ secret: true }).describe("Secret access key."),
    sessionToken: z.string().min(1).optional().meta({ secret: true }).describe("Session token of temporary credentials."),
    // The rest of what the AWS SDK's credential providers return (AwsCredentialIdentity), so
    // `await fromIni()()` or `await client.config.credentials()` can be passed as they are.
    expiration: z.date().optional().describe("When temporary credentials expire (set by AWS SDK providers)."),
    credentialScope: z.string().optional().describe("Credential scope (set by AWS SDK providers)."),
    accountId: z.string().optional().describe("AWS account id (set by AWS SDK providers)."),
    $source: z.record(z.string(), z.unknown()).optional().describe("Which provider found the credentials (set by the AWS SDK)."),
  })
  .describe("Explicit keys (S3-compatible servers). Default: the AWS provider chain (env, shared config, SSO, instance roles).");

/** Config of the "s3" storage backend. */
export const s3ConfigSchema = z.strictObject({
  bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.\-_]{1,253}[a-z0-9]$/i, "not a valid bucket name (3-255 letters, digits, dots, dashes; AWS: 3-63 lowercase)")
    .describe("Bucket that holds the projects. It must exist."),
  prefix: z
    .string()
    .default("")
    .refine((p) => !p.split("/").some((part) => part === ".." || part === "."), "no '.' or '..' segments")
    .transform(normalizePrefix)
    .describe('Key prefix under which every project lives, e.g. "team-a/themis". Default: the bucket root.'),
  region: z.string().min(1).optional().describe("AWS region. Default: the AWS provider chain, or us-east-1 when an endpoint is given."),
  endpoint: z.url().optional().describe("Endpoint of an S3-compatible server, e.g. http://127.0.0.1:7480."),
  forcePathStyle: z.boolean().optional().describe("Path-style URLs (bucket in the path). Default: true when an endpoint is given."),
  credentials: credentialsSchema.optional(),
  client: z
    .custom<S3Client>((v) => v instanceof S3Client || (typeof v === "object" && v !== null && typeof (v as S3Client).send === "function"), "an S3Client")
    .optional()
    .describe("An existing S3Client to use (region, endpoint, forcePathStyle and credentials are then ignored). Not destroyed by close()."),
  concurrency: z.number().int().min(1).max(256).default(16).describe("Requests a table read or delete keeps in flight."),
  compactAfterSegments: z
    .number()
    .int()
    .min(0)
    .default(64)
    .describe("Compact a table in the background once this many segments follow its base. 0: only explicit compact()."),
  gracePeriodMs: z
    .number()
    .int()
    .min(0)
    .default(3_600_000)
    .describe("How long superseded objects are kept after a compaction, so readers that started before it can finish."),
  maxConflictRetries: z.number().int().min(0).default(40).describe("Attempts to win a segment number or the manifest against other writers."),
  connectTimeoutMs: timeoutMsSchema.default(10_000).describe("Milliseconds to open a connection to the server before the request fails (and is retried)."),
  socketTimeoutMs: timeoutMsSchema
    .default(60_000)
    .describe(
      "Milliseconds a request may wait with no data moving before it fails (and is retried): a server that accepts and never answers cannot hang a call.",
    ),
  partSizeBytes: z
    .number()
    .int()
    .min(5 * 1024 * 1024)
    .default(8 * 1024 * 1024)
    .describe("Multipart part size for objects larger than one part (compacted bases, large batches)."),
});

/** The config as written by users (before defaults). */
export type S3ConfigInput = z.input<typeof s3ConfigSchema>;
/** The validated config, with defaults. */
export type S3Config = z.output<typeof s3ConfigSchema>;

function normalizePrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, "").replace(/\/+$/, "");
  return trimmed === "" ? "" : `${trimmed}/`;
}

/**
 * Config fields from `s3://bucket/prefix?region=eu-west-1&endpoint=http%3A%2F%2Fhost%3A7480&forcePathStyle=true`.
 * Credentials never come from a URI (use the provider chain, env vars or `credentials`).
 */
export function configFromUri(uri: URL): Record<string, unknown> {
  const out: Record<string, unknown> = { bucket: decodeUriField(uri.hostname, "bucket", BACKEND_NAME) };
  const prefix = decodeUriField(uri.pathname, "prefix", BACKEND_NAME);
  if (prefix !== "" && prefix !== "/") out.prefix = prefix;
  for (const [key, value] of uri.searchParams) {
    if (key === "forcePathStyle") out[key] = value === "" || value === "true" || value === "1";
    else if (
      key === "concurrency" ||
      key === "compactAfterSegments" ||
      key === "gracePeriodMs" ||
      key === "maxConflictRetries" ||
      key === "partSizeBytes" ||
      key === "connectTimeoutMs" ||
      key === "socketTimeoutMs"
    ) {
      out[key] = Number(value);
    } else out[key] = value; // unknown keys fail validation with a did-you-mean
  }
  return out;
}
