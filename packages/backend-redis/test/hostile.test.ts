import { fileURLToPath } from "node:url";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Project, Registry, parseBackendConfig, printableConfig, resolveConfig } from "@themis/core";
import { startSilentServer } from "@themis/conformance";
import { redisBackend } from "../src/index.js";
import { dropPrefix, keysWithPrefix, rawClient, redisAvailable, redisUrl, uniquePrefix } from "./support/env.js";

const packageDir = path.resolve(fileURLToPath(new URL("..", import.meta.url)));
const registry = (): Registry => new Registry({ cwd: packageDir });
/** What a call that must fail rejected with (a resolved call fails the code check that follows). */
type Failure = Error & { code?: string; issues?: { path: string; message: string }[] };

describe("URIs and fields that cannot be used", () => {
  it("a malformed percent-escape in the password is INVALID_CONFIG naming the field, never a URIError", async () => {
    const error = (await Project.open("p", "redis://app:pa%ZZss-secret@127.0.0.1:1/0", undefined, { registry: registry() }).catch(
      (e: unknown) => e,
    )) as Failure;
    expect(error).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", issues: [expect.objectContaining({ path: "password" })] });
    expect(error.message).not.toContain("pa%ZZss-secret");
  });

  it("the url field is checked as the connection reads it: db and escapes", () => {
    const invalid = (raw: Record<string, unknown>) => {
      try {
        parseBackendConfig(redisBackend, raw);
      } catch (error) {
        return error as { code: string; issues: { path: string; message: string }[]; message: string };
      }
      throw new Error("expected an invalid config");
    };
    expect(invalid({ url: "redis://h/abc" }).issues).toEqual([expect.objectContaining({ path: "url", message: expect.stringMatching(/database "abc"/) })]);
    expect(invalid({ url: "redis://h/99999999999" }).issues[0]?.path).toBe("url");
    const badEscape = invalid({ url: "redis://u:s3%ZZcret@h/0" });
    expect(badEscape.issues[0]?.message).toMatch(/percent-escape/);
    expect(badEscape.message).not.toContain("s3%ZZcret");
    expect(invalid({ db: -1 }).issues[0]?.path).toBe("db");
  });

  it("timeouts a Node timer cannot hold are refused", () => {
    expect(() => parseBackendConfig(redisBackend, { connectTimeout: 3e9 })).toThrow(expect.objectContaining({ code: "ERR_THEMIS_INVALID_CONFIG" }));
    expect(() => parseBackendConfig(redisBackend, { commandTimeout: 3e9 })).toThrow(expect.objectContaining({ code: "ERR_THEMIS_INVALID_CONFIG" }));
  });
});

describe.skipIf(!redisAvailable)("a database the server does not have", () => {
  const prefix = uniquePrefix("db-range");
  const raw = rawClient();
  afterAll(async () => {
    await dropPrefix(raw, prefix);
    raw.disconnect();
  });

  it("{ db: 99999 } is INVALID_CONFIG on db, and nothing lands in db 0", async () => {
    const url = new URL(redisUrl);
    url.pathname = "";
    const error = (await Project.create("p", "redis", { url: url.href, db: 99999, keyPrefix: prefix }, { registry: registry() }).catch(
      (e: unknown) => e,
    )) as Failure;
    expect(error).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", issues: [expect.objectContaining({ path: "db" })] });
    url.pathname = "/99999";
    const viaUri = (await Project.create("p", `${url.href}?keyPrefix=${encodeURIComponent(prefix)}`, undefined, { registry: registry() }).catch(
      (e: unknown) => e,
    )) as Failure;
    expect(viaUri).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG" });
    expect(await keysWithPrefix(raw, prefix)).toEqual([]);
  });
});

describe("a server that accepts TCP and never answers", () => {
  it("Project.open fails with UNAVAILABLE after connectTimeout instead of hanging", async () => {
    const server = await startSilentServer();
    try {
      const error = (await Project.open("p", `redis://127.0.0.1:${server.port}?connectTimeout=500&retries=0`, undefined, { registry: registry() }).catch(
        (e: unknown) => e,
      )) as Failure;
      expect(error).toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE" });
      expect(error.message).toMatch(/connectTimeout/);
      expect(server.connections).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  });
});

describe("printing a config", () => {
  it("a percent-encoded query password is masked on the type line, in every form", async () => {
    const registry = new Registry({ discover: false }).register(redisBackend);
    const config = await resolveConfig({ storage: "redis://127.0.0.1:6379/0?password=Pa%5Fss%2Fw0rd-9" }, { registry });
    expect(config.storage?.config).toMatchObject({ password: "Pa_ss/w0rd-9" });
    const printed = JSON.stringify(printableConfig(config));
    for (const form of ["Pa%5Fss%2Fw0rd-9", "Pa_ss/w0rd-9", "Pa_ss%2Fw0rd-9"]) expect(printed).not.toContain(form);
    expect(printed).toContain("password=[redacted]");
  });
});
