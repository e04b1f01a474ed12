// Hostile input: URIs that cannot be decoded, durations past the timer limit, and a server
// that accepts connections and never answers. No S3 server needed.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Project, Registry, parseBackendConfig } from "@themis/core";
import { startSilentServer } from "@themis/conformance";
import { describe, expect, it } from "vitest";
import { s3Backend } from "../src/index.js";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** What a call that must fail rejected with (a resolved call fails the code check that follows). */
type Failure = Error & { code?: string; issues?: { path: string }[] };

describe("hostile config", () => {
  it("a malformed percent-escape in an s3:// URI is INVALID_CONFIG naming the field, never a URIError", async () => {
    const registry = new Registry({ cwd: packageDir });
    const error = (await Project.open("p", "s3://bucket/team%ZZ/themis", undefined, { registry }).catch((e: unknown) => e)) as Failure;
    expect(error).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", issues: [expect.objectContaining({ path: "prefix" })] });
  });

  it("timeouts a Node timer cannot hold are refused", () => {
    for (const field of ["connectTimeoutMs", "socketTimeoutMs"]) {
      expect(() => parseBackendConfig(s3Backend, { bucket: "bkt", [field]: 3e9 })).toThrow(
        expect.objectContaining({ code: "ERR_THEMIS_INVALID_CONFIG", issues: [expect.objectContaining({ path: field })] }),
      );
    }
  });
});

describe("a server that accepts TCP and never answers", () => {
  it("Project.open fails with UNAVAILABLE after socketTimeoutMs (and the SDK's retries) instead of hanging", async () => {
    const server = await startSilentServer();
    try {
      const registry = new Registry({ discover: false }).register(s3Backend);
      const config = {
        bucket: "bkt",
        endpoint: `http://127.0.0.1:${server.port}`,
        credentials: { accessKeyId: "AK", secretAccessKey: "SK-secret" },
        socketTimeoutMs: 300,
      };
      const error = (await Project.open("p", "s3", config, { registry }).catch((e: unknown) => e)) as Failure;
      expect(error).toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE" });
      expect(server.connections).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });
});
