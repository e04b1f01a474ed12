import { storageSuite } from "@themis/conformance";
import { afterAll, beforeAll } from "vitest";
import type { S3Client } from "@aws-sdk/client-s3";
import { createS3Storage } from "../src/index.js";
import { backendConfig, freshBucket, rawClient, s3Server } from "./support/env.js";
import { s3Oracle } from "./support/oracle.js";

const server = s3Server();
const prefix = "conformance/";
let bucket = "";
let raw: S3Client | undefined;

beforeAll(async () => {
  if (!server) return;
  bucket = await freshBucket(server, "conf");
  raw = rawClient(server);
});
afterAll(() => raw?.destroy());

// Two suites: one whose tables never compact, one that compacts after every 2 segments
// (with no grace period), so every conformance test also runs across compactions.
for (const compactAfterSegments of [0, 2]) {
  storageSuite({
    name: `s3 (compactAfterSegments: ${compactAfterSegments})`,
    skip: server ? false : "no S3 server",
    create: () => createS3Storage(backendConfig(server!, bucket, { prefix: `${prefix}c${compactAfterSegments}`, compactAfterSegments, gracePeriodMs: 0 })),
    oracle: {
      rowIds: (project, kind, table) => s3Oracle(raw!, bucket, `${prefix}c${compactAfterSegments}/`).rowIds(project, kind, table),
    },
    timeout: 60_000,
  });
}
