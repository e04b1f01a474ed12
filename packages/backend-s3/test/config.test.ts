// Config schema, URI form, registry discovery and secret redaction: no server needed.
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { S3Client } from "@aws-sdk/client-s3";
import { REDACTED, Registry, parseBackendConfig, redactConfig, secretPaths } from "@themis/core";
import { describe, expect, it } from "vitest";
import { type S3Storage, createS3Storage, s3Backend } from "../src/index.js";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

describe("config", () => {
  it("applies defaults and normalises the prefix", () => {
    const config = parseBackendConfig(s3Backend, { bucket: "bkt", prefix: "/team/themis/" });
    expect(config).toMatchObject({ bucket: "bkt", prefix: "team/themis/", concurrency: 16, compactAfterSegments: 64, gracePeriodMs: 3_600_000 });
    expect(parseBackendConfig(s3Backend, { bucket: "bkt" }).prefix).toBe("");
  });

  it("rejects bad values with field paths (INVALID_CONFIG), with did-you-mean for typos", () => {
    expect(() => parseBackendConfig(s3Backend, {})).toThrow(
      expect.objectContaining({ code: "ERR_THEMIS_INVALID_CONFIG", issues: [expect.objectContaining({ path: "bucket" })] }),
    );
    expect(() => parseBackendConfig(s3Backend, { bucket: "a/b" })).toThrow(expect.objectContaining({ issues: [expect.objectContaining({ path: "bucket" })] }));
    expect(() => parseBackendConfig(s3Backend, { bucket: "bkt", prefix: "x/../y" })).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ path: "prefix" })] }),
    );
    expect(() => parseBackendConfig(s3Backend, { bucket: "bkt", endpoint: "not a url" })).toThrow(
      expect.objectContaining({ issues: [expect.objectContaining({ path: "endpoint" })] }),
    );
    expect(() => parseBackendConfig(s3Backend, { bucket: "bkt", regoin: "eu-west-1" })).toThrow(
      expect.objectContaining({ issues: [{ path: "regoin", message: expect.stringContaining('did you mean "region"') }] }),
    );
  });

  it("marks the secret key and session token secret, and redaction hides them", () => {
    expect(secretPaths(s3Backend).sort()).toEqual(["credentials.secretAccessKey", "credentials.sessionToken"]);
    const config = { bucket: "bkt", credentials: { accessKeyId: "AKID", secretAccessKey: "s3cr3t", sessionToken: "t0k3n" } };
    const shown = JSON.stringify(redactConfig(s3Backend, config));
    expect(shown).not.toContain("s3cr3t");
    expect(shown).not.toContain("t0k3n");
    expect(shown).toContain(REDACTED);
    expect(shown).toContain("AKID");
  });

  it("accepts credentials as the AWS SDK's providers return them ($source, expiration)", async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = "AKIDFROMENV";
    process.env.AWS_SECRET_ACCESS_KEY = "s3cr3t-from-env";
    const sdk = new S3Client({ region: "us-east-1" });
    try {
      // The default provider chain (here: the environment), exactly what the SDK hands out.
      const credentials = await sdk.config.credentials();
      expect(credentials).toHaveProperty("$source");
      const config = parseBackendConfig(s3Backend, { bucket: "bkt", credentials: { ...credentials, expiration: new Date(Date.now() + 3_600_000) } });
      expect(config.credentials).toMatchObject({ accessKeyId: "AKIDFROMENV", secretAccessKey: "s3cr3t-from-env" });
      expect(JSON.stringify(redactConfig(s3Backend, config))).not.toContain("s3cr3t-from-env");
      const storage = createS3Storage({ bucket: "bkt", region: "us-east-1", credentials });
      expect(await storage.client.config.credentials()).toMatchObject({ accessKeyId: "AKIDFROMENV" });
      await storage.close();
    } finally {
      sdk.destroy();
      for (const [key, value] of [
        ["AWS_ACCESS_KEY_ID", saved.id],
        ["AWS_SECRET_ACCESS_KEY", saved.secret],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });

  it("takes an existing S3Client and leaves it open on close()", async () => {
    const client = new S3Client({ region: "us-east-1" });
    const storage = createS3Storage({ bucket: "bkt", client });
    expect(storage.client).toBe(client);
    await storage.close();
    expect(typeof client.send).toBe("function");
    client.destroy();
  });

  it("a missing region or missing credentials are INVALID_CONFIG naming the field (no request made)", async () => {
    const saved = { region: process.env.AWS_REGION, defaultRegion: process.env.AWS_DEFAULT_REGION };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    try {
      const storage = createS3Storage({ bucket: "bkt", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
      await expect(storage.listProjects()).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", issues: [{ path: "region" }] });
      await storage.close();
    } finally {
      if (saved.region !== undefined) process.env.AWS_REGION = saved.region;
      if (saved.defaultRegion !== undefined) process.env.AWS_DEFAULT_REGION = saved.defaultRegion;
    }
  });

  it("reads bucket, prefix and options from an s3:// URI", () => {
    expect(s3Backend.configFromUri!(new URL("s3://my-bucket"))).toEqual({ bucket: "my-bucket" });
    expect(
      s3Backend.configFromUri!(new URL("s3://my-bucket/team/themis?region=eu-west-1&endpoint=http%3A%2F%2F127.0.0.1%3A7480&forcePathStyle=true&concurrency=4")),
    ).toEqual({
      bucket: "my-bucket",
      prefix: "/team/themis",
      region: "eu-west-1",
      endpoint: "http://127.0.0.1:7480",
      forcePathStyle: true,
      concurrency: 4,
    });
  });

  it("is found by URI through the package's themisBackends entry, without importing anything else", async () => {
    const app = realpathSync(mkdtempSync(path.join(tmpdir(), "themis-s3-app-")));
    writeFileSync(
      path.join(app, "package.json"),
      JSON.stringify({ name: "app", version: "1.0.0", type: "module", dependencies: { "@themis/backend-s3": "*" } }),
    );
    mkdirSync(path.join(app, "node_modules", "@themis"), { recursive: true });
    symlinkSync(packageDir, path.join(app, "node_modules", "@themis", "backend-s3"), "dir");
    const registry = new Registry({ cwd: app });
    const info = (await registry.list()).find((b) => b.name === "s3");
    expect(info).toMatchObject({ kind: "storage", schemes: ["s3"] });
    const storage = await registry.create("storage", "s3://some-bucket/some/prefix?region=eu-west-1", {
      credentials: { accessKeyId: "a", secretAccessKey: "b" },
    });
    expect(storage.name).toBe("s3");
    expect((storage as S3Storage).location).toBe("s3://some-bucket/some/prefix/");
    await storage.close();
  });
});
