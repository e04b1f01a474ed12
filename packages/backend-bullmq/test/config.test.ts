// The config schema: defaults, errors with field paths, secrets marked and redacted, JSON
// Schema, and the registry's hint for the package when it is not installed.
import { Registry, configJsonSchema, parseBackendConfig, redactConfig, secretPaths } from "@themis/core";
import { describe, expect, it } from "vitest";
import { bullmqBackend } from "../src/index.ts";
import { connectionSettings } from "../src/connection.ts";

describe("bullmq config", () => {
  it("applies defaults", () => {
    const config = parseBackendConfig(bullmqBackend, {});
    expect(config).toMatchObject({ queue: "themis", prefix: "bull", concurrency: 16, attempts: 1, maxPayloadBytes: 512 * 1024 });
    expect(config.removeOnComplete).toEqual({ age: 86_400, count: 10_000 });
  });

  it("rejects bad values with their path, without echoing the URI", () => {
    const bad = (input: Record<string, unknown>) => {
      try {
        parseBackendConfig(bullmqBackend, input);
      } catch (error) {
        return error as { code: string; message: string; issues: { path: string }[] };
      }
      throw new Error("accepted");
    };
    const url = bad({ url: "http://user:hunter22@host" });
    expect(url.code).toBe("ERR_THEMIS_INVALID_CONFIG");
    expect(url.issues.map((i) => i.path)).toEqual(["url"]);
    expect(url.message).not.toContain("hunter22");
    expect(bad({ queue: "a:b" }).issues.map((i) => i.path)).toEqual(["queue"]);
    expect(bad({ runKey: "run:1" }).issues.map((i) => i.path)).toEqual(["runKey"]);
    expect(bad({ maxPayloadBytes: 0 }).issues.map((i) => i.path)).toEqual(["maxPayloadBytes"]);
    expect(bad({ nope: 1 }).code).toBe("ERR_THEMIS_INVALID_CONFIG");
  });

  it("marks url and password secret and redacts them; the address shown has no password", () => {
    expect(secretPaths(bullmqBackend).sort()).toEqual(["password", "url"]);
    const config = parseBackendConfig(bullmqBackend, { url: "redis://:hunter22@db.example:6380/2" });
    expect(JSON.stringify(redactConfig(bullmqBackend, config))).not.toContain("hunter22");
    const settings = connectionSettings(config);
    expect(settings.address).toBe("redis://db.example:6380/2");
    expect(settings.options).toMatchObject({ host: "db.example", port: 6380, db: 2, password: "hunter22" });
    expect(settings.secrets).toContain("hunter22");
  });

  it("takes $REDIS_URL when no address is configured", () => {
    const config = parseBackendConfig(bullmqBackend, {});
    expect(connectionSettings(config, { REDIS_URL: "rediss://u:pw1@r.example:7000" }).address).toBe("rediss://u@r.example:7000/0");
    expect(connectionSettings(config, {}).address).toBe("redis://127.0.0.1:6379/0");
  });

  it("has a JSON Schema with descriptions", () => {
    const schema = configJsonSchema(bullmqBackend) as { properties: Record<string, { description?: string }> };
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(["url", "queue", "prefix", "timeout", "attempts", "backoff", "removeOnComplete", "maxPayloadBytes", "runKey"]),
    );
    expect(schema.properties.maxPayloadBytes?.description).toMatch(/512 KiB/);
  });

  it("the registry names the package when bullmq is not installed", async () => {
    const registry = new Registry({ cwd: "/", discover: false });
    const error = await registry.create("execution", "bullmq", {}).then(
      () => undefined,
      (e: { code?: string; message: string }) => e,
    );
    expect(error?.code).toBe("ERR_THEMIS_UNKNOWN_BACKEND");
    expect(error?.message).toContain("@themis/backend-bullmq");
  });
});
