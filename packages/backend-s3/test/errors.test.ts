// Typed, actionable errors with no credentials in them.
import { inspect } from "node:util";
import { PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { Project, type StorageBackend } from "@themis/core";
import { describe, expect, it } from "vitest";
import { type S3ConfigInput, createS3Storage } from "../src/index.js";
import { encodeSegment } from "../src/segment-format.js";
import { backendConfig, s3Server, useFreshBucket } from "./support/env.js";
import { LossyProxy } from "./support/lossy-proxy.js";
import { readRawTable } from "./support/oracle.js";

const server = s3Server();
let bucket = "";
let raw: S3Client;
const { track } = useFreshBucket(server, "err", (b, r) => {
  bucket = b;
  raw = r;
});
const backend = (config: S3ConfigInput): StorageBackend => track(createS3Storage(config));
/** The error, its message, its cause chain and its inspected form must not hold the secret. */
const expectNoSecret = (error: unknown, secret: string): void => {
  expect(String((error as Error).message)).not.toContain(secret);
  expect(inspect(error, { depth: 8 })).not.toContain(secret);
};
const rejection = async (promise: Promise<unknown>): Promise<Error & { code: string; retryable: boolean }> => {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code: string; retryable: boolean };
  }
  throw new Error("expected a rejection");
};

describe.skipIf(!server)("errors", () => {
  it("a missing bucket is NOT_FOUND, naming the bucket and the fix", async () => {
    const error = await rejection(Project.create("p", backend(backendConfig(server!, "themis-no-such-bucket"))));
    expect(error).toMatchObject({ code: "ERR_THEMIS_NOT_FOUND", backend: "s3" });
    expect(error.message).toContain("themis-no-such-bucket");
    expectNoSecret(error, server!.secretAccessKey);
  });

  // Needs a second user on the server: the radosgw the tests start has one; an external
  // server (S3_ENDPOINT) needs S3_OTHER_ACCESS_KEY_ID / S3_OTHER_SECRET_ACCESS_KEY.
  it.skipIf(!server?.otherAccessKeyId)("access denied (another user's bucket) is INVALID_CONFIG on credentials, without the secret", async () => {
    const b = backend({
      bucket,
      endpoint: server!.endpoint,
      credentials: { accessKeyId: server!.otherAccessKeyId, secretAccessKey: server!.otherSecretAccessKey },
    });
    const error = await rejection(Project.create("p", b));
    expect(error).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", backend: "s3", retryable: false, issues: [{ path: "credentials" }] });
    expectNoSecret(error, server!.otherSecretAccessKey);
    await expect(b.listProjects()).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG" });
  });

  it("a wrong secret is INVALID_CONFIG, and the secret appears nowhere in the error", async () => {
    const secret = "this-secret-must-not-leak-1234";
    const b = backend({ bucket, endpoint: server!.endpoint, credentials: { accessKeyId: server!.accessKeyId, secretAccessKey: secret } });
    const error = await rejection(b.listProjects());
    expect(error).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", backend: "s3" });
    expectNoSecret(error, secret);
  });

  it("an unreachable endpoint is UNAVAILABLE (retryable)", async () => {
    const error = await rejection(backend({ ...backendConfig(server!, bucket), endpoint: "http://127.0.0.1:9" }).listProjects());
    expect(error).toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE", backend: "s3", retryable: true });
    expectNoSecret(error, server!.secretAccessKey);
  });

  it("a precondition failed on every retry is CONFLICT; with retries left the write lands after the other", async () => {
    const impatient = backend(backendConfig(server!, bucket, { maxConflictRetries: 0, compactAfterSegments: 0 }));
    const project = await Project.create("conflict", impatient);
    const table = await project.createDataset("t");
    await table.append({ _row_id: "first" });
    // Another writer takes segment 2 behind this backend's back.
    const { manifest } = (await readRawTable(raw, bucket, "", "conflict", "dataset", "t"))!;
    const taken = `conflict/dataset/t/${manifest.tableId}/seg/${"2".padStart(16, "0")}.jsonl`;
    await raw.send(
      new PutObjectCommand({ Bucket: bucket, Key: taken, Body: encodeSegment("other-writer", [{ type: "append", id: "other", line: '{"_row_id":"other"}' }]) }),
    );
    const error = await rejection(table.append({ _row_id: "second" }));
    expect(error).toMatchObject({ code: "ERR_THEMIS_CONFLICT", backend: "s3", retryable: true });
    await project.close();

    const patient = await Project.open("conflict", backend(backendConfig(server!, bucket)));
    const again = await patient.getDataset("t");
    await again.append({ _row_id: "second" });
    expect((await again.load()).map((r) => r._row_id)).toEqual(["first", "other", "second"]);
    await patient.close();
  });

  it("a segment write whose response was lost (the SDK retried it) is stored once", async () => {
    const proxy = await LossyProxy.start(server!.endpoint, (req) => req.method === "PUT" && (req.url ?? "").includes("/seg/"));
    try {
      const b = backend({ ...backendConfig(server!, bucket, { compactAfterSegments: 0 }), endpoint: proxy.endpoint });
      const project = await Project.create("lost_reply", b);
      const t = await project.createDataset("t");
      const ids = await t.appendMany([{ v: 1 }, { v: 2 }]);
      expect(proxy.dropped).toHaveLength(1); // the first PUT landed, its answer never came
      await t.append({ v: 3 });
      const { segments } = (await readRawTable(raw, bucket, "", "lost_reply", "dataset", "t"))!;
      expect(segments).toHaveLength(2); // not 3: the resent PUT found its own segment
      expect((await t.load()).map((r) => r.v)).toEqual([1, 2, 3]);
      expect((await t.load()).slice(0, 2).map((r) => r._row_id)).toEqual(ids);
      await project.close();
    } finally {
      await proxy.stop();
    }
  });

  it("a damaged segment is CORRUPT_DATA naming the object", async () => {
    const b = backend(backendConfig(server!, bucket));
    const project = await Project.create("corrupt", b);
    const table = await project.createDataset("t");
    await table.append({ x: 1 });
    const { manifest } = (await readRawTable(raw, bucket, "", "corrupt", "dataset", "t"))!;
    const key = `corrupt/dataset/t/${manifest.tableId}/seg/${"1".padStart(16, "0")}.jsonl`;
    const header = JSON.stringify({ themis: "s3-segment", v: 1, writeId: "x", runs: [["a", 2]] });
    await raw.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `${header}\n{"_row_id":"a"}\n` }));
    const fresh = await Project.open("corrupt", backend(backendConfig(server!, bucket)));
    const error = await rejection((await fresh.getDataset("t")).load());
    expect(error).toMatchObject({ code: "ERR_THEMIS_CORRUPT_DATA", backend: "s3" });
    expect(error.message).toContain(key);
    await fresh.close();
    await project.close();
  });

  it("refuses to work after close (CLOSED)", async () => {
    const b = createS3Storage(backendConfig(server!, bucket));
    await b.close();
    await b.close();
    await expect(b.listProjects()).rejects.toMatchObject({ code: "ERR_THEMIS_CLOSED" });
  });
});
