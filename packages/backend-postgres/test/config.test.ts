import { fileURLToPath } from "node:url";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REDACTED, Registry, parseBackendConfig, redactConfig } from "@themis/core";
import { configFromPostgresUri, postgresBackend } from "../src/index.js";
import { freePort } from "@themis/conformance";

const packageDir = path.resolve(fileURLToPath(new URL("..", import.meta.url)));
const parse = (raw: Record<string, unknown>) => parseBackendConfig(postgresBackend, raw);
const invalid = (raw: Record<string, unknown>) => {
  try {
    parse(raw);
  } catch (error) {
    return error as { code: string; issues: { path: string; message: string }[]; message: string };
  }
  throw new Error("expected an invalid config");
};

describe("URI forms", () => {
  it.each([
    ["postgres://127.0.0.1:5432/evals", { host: "127.0.0.1", port: 5432, database: "evals" }],
    ["postgresql://db.internal", { host: "db.internal" }],
    [
      "postgres://alice:p%40ss@h:6000/my%20db?schema=team_a&poolSize=4",
      { host: "h", port: 6000, database: "my db", user: "alice", password: "p@ss", schema: "team_a", poolSize: 4 },
    ],
    ["postgres://[::1]/d", { host: "::1", database: "d" }],
  ])("%s", (uri, expected) => {
    const config = configFromPostgresUri(new URL(uri));
    expect(config).toEqual(expected);
    expect(() => parse(config)).not.toThrow();
  });

  it("passes unknown query options on, so validation names them", () => {
    const error = invalid(configFromPostgresUri(new URL("postgres://h/d?Schema=x")));
    expect(error.code).toBe("ERR_THEMIS_INVALID_CONFIG");
    expect(error.issues.map((i) => i.path)).toEqual(["Schema"]);
  });

  it("the package.json lists the schemes, so a URI resolves without importing code", async () => {
    const registry = new Registry({ cwd: packageDir });
    for (const scheme of ["postgres", "postgresql"]) {
      const { definition } = await registry.resolve(`${scheme}://h/d`, "storage");
      expect(definition.name).toBe("postgres");
    }
  });
});

describe("config validation", () => {
  it("applies defaults", () => {
    expect(parse({})).toEqual({ schema: "themis", applicationName: "themis", ssl: false, poolSize: 10, connectTimeout: 10_000, batchSize: 1000 });
  });

  it.each([
    [{ schema: "Has-Dash" }, "schema"],
    [{ schema: "1abc" }, "schema"],
    [{ port: 70000 }, "port"],
    [{ poolSize: 0 }, "poolSize"],
    [{ connectTimeout: 0 }, "connectTimeout"],
    [{ url: "postgres://h/d" }, "url"],
  ])("rejects %j", (raw, field) => {
    const error = invalid(raw);
    expect(error.code).toBe("ERR_THEMIS_INVALID_CONFIG");
    expect(error.issues.map((i) => i.path)).toContain(field);
  });

  it("marks the password secret: redacted when a config is printed", () => {
    const config = parse({ host: "h", password: "hunter2" });
    expect(redactConfig(postgresBackend, config)).toMatchObject({ host: "h", password: REDACTED });
  });
});

describe("an unreachable server", () => {
  it("fails with ERR_THEMIS_UNAVAILABLE and never shows the password", async () => {
    const port = await freePort(); // nothing listens there
    const uri = new URL(`postgres://alice:hunter2@127.0.0.1:${port}/d?connectTimeout=2000`);
    const error = (await Promise.resolve(postgresBackend.create(parse(configFromPostgresUri(uri)))).then(
      () => new Error("expected the connection to fail"),
      (e: unknown) => e,
    )) as Error & { code: string; cause: unknown };
    expect(error).toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE", retryable: true });
    expect(error.message).toContain("[postgres]");
    expect(error.cause).toBeDefined();
    expect(`${error.message} ${String(error.stack)}`).not.toContain("hunter2");
  });
});
