import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { randomBytes } from "node:crypto";
import { requireService } from "@themis/conformance";
import { afterAll, beforeAll, inject } from "vitest";
import type { StorageBackend } from "@themis/core";
import { type S3ConfigInput, type S3Storage, createS3Storage } from "../../src/index.js";
import type { S3ServerInfo } from "./radosgw.js";

/** The test server, or undefined when tests must skip (requireService fails instead when CI=true). */
export function s3Server(): S3ServerInfo | undefined {
  const server = inject("s3Server");
  return requireService("S3 (Ceph radosgw)", server !== null, inject("s3Missing")) ? server! : undefined;
}

/** A raw client of the test server (for oracles and baselines, not through the backend). */
export function rawClient(server: S3ServerInfo, keys: "main" | "other" = "main"): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials:
      keys === "main"
        ? { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey }
        : { accessKeyId: server.otherAccessKeyId, secretAccessKey: server.otherSecretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

/** A new bucket with a random name. */
export async function freshBucket(server: S3ServerInfo, label = "t"): Promise<string> {
  const bucket = `themis-${label}-${randomBytes(4).toString("hex")}`;
  const client = rawClient(server);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
  return bucket;
}

/** Backend config for the test server. */
export function backendConfig(server: S3ServerInfo, bucket: string, extra: Partial<S3ConfigInput> = {}): S3ConfigInput {
  return {
    bucket,
    endpoint: server.endpoint,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    ...extra,
  };
}

/** What {@link useFreshBucket} gives a test file. */
export interface FreshBucket {
  /** Close `backend` after the file's tests. */
  track<B extends StorageBackend>(backend: B): B;
  /** A tracked backend on the fresh bucket; automatic compaction off unless `extra` says otherwise. */
  backend(extra?: Partial<S3ConfigInput>): S3Storage;
}

/**
 * The hooks every test file on one bucket needs: before its tests, a fresh bucket and a raw
 * client (handed to `ready`); after them, every tracked backend is closed and the raw client
 * destroyed. Nothing runs when the server is missing.
 */
export function useFreshBucket(server: S3ServerInfo | undefined, label: string, ready: (bucket: string, raw: S3Client) => void): FreshBucket {
  const opened: StorageBackend[] = [];
  let raw: S3Client | undefined;
  let bucket = "";
  beforeAll(async () => {
    if (!server) return;
    raw = rawClient(server);
    bucket = await freshBucket(server, label);
    ready(bucket, raw);
  });
  afterAll(async () => {
    for (const b of opened) await b.close();
    raw?.destroy();
  });
  const track = <B extends StorageBackend>(backend: B): B => {
    opened.push(backend);
    return backend;
  };
  return { track, backend: (extra = {}) => track(createS3Storage(backendConfig(server!, bucket, { compactAfterSegments: 0, ...extra }))) };
}
