import { describe, expect, it } from "vitest";
import { z } from "zod";
import { REDACTED, configJsonSchema, defineStorageBackend, memoryBackend, parseBackendConfig, redactConfig, secretPaths } from "../src/index.js";

const def = defineStorageBackend({
  name: "fx/secret",
  configSchema: z.strictObject({
    host: z.string().default("localhost"),
    port: z.number().int().min(1).max(65535).default(6379),
    password: z.string().optional().meta({ secret: true }),
    tls: z.strictObject({ key: z.string().meta({ secret: true }), ca: z.string().optional() }).optional(),
  }),
  create: () => memoryBackend.create({ namespace: "secret" }),
});

describe("backend config", () => {
  it("applies defaults", () => {
    expect(parseBackendConfig(def, {})).toEqual({ host: "localhost", port: 6379 });
  });
  it("reports every field path and reason, with the source file", () => {
    const error = (() => {
      try {
        parseBackendConfig(def, { port: 70000, hots: "x", tls: { kye: "k" } }, "themis.config.yaml");
      } catch (e) {
        return e as Error & { issues: { path: string; message: string }[] };
      }
    })();
    expect(error).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG" });
    expect(error?.message).toContain("themis.config.yaml");
    const byPath = Object.fromEntries(error!.issues.map((i) => [i.path, i.message]));
    expect(Object.keys(byPath).sort()).toEqual(["hots", "port", "tls.key", "tls.kye"]);
    expect(byPath.hots).toContain('did you mean "host"');
    expect(byPath["tls.kye"]).toContain('did you mean "key"');
  });
  it("finds secret fields, nested ones included, and redacts them", () => {
    expect(secretPaths(def).sort()).toEqual(["password", "tls.key"]);
    const config = { host: "h", password: "hunter2", tls: { key: "PRIVATE", ca: "public" } };
    const shown = redactConfig(def, config);
    expect(shown).toEqual({ host: "h", password: REDACTED, tls: { key: REDACTED, ca: "public" } });
    expect(config.password).toBe("hunter2");
    expect(JSON.stringify(shown)).not.toMatch(/hunter2|PRIVATE/);
  });
  it("derives a JSON Schema from the zod schema", () => {
    const schema = configJsonSchema(def) as { properties: Record<string, { type?: string; default?: unknown }> };
    expect(schema.properties.port).toMatchObject({ type: "integer", default: 6379 });
  });
});
