import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { Project, REDACTED, Registry, parseBackendConfig, redactConfig } from "@themis/core";
import { configFromRedisUri, redisBackend } from "../src/index.js";
import { createBackend, dropPrefix, rawClient, redisAvailable, redisUrl, serverBinary, uniquePrefix } from "./support/env.js";
import { RedisServer } from "./support/redis-server.js";

const packageDir = path.resolve(fileURLToPath(new URL("..", import.meta.url)));
const parse = (raw: Record<string, unknown>) => parseBackendConfig(redisBackend, raw);
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
    ["redis://127.0.0.1:6379/0", { host: "127.0.0.1", port: 6379, db: 0 }],
    ["redis://redis.internal", { host: "redis.internal" }],
    ["redis://:p%40ss@h:7000/3", { host: "h", port: 7000, db: 3, password: "p@ss" }],
    [
      "redis://alice:secret@h/2?keyPrefix=evals&connectTimeout=500",
      { host: "h", db: 2, username: "alice", password: "secret", keyPrefix: "evals", connectTimeout: 500 },
    ],
    ["rediss://h:6380", { host: "h", port: 6380, tls: true }],
    ["redis://[::1]:6379/1", { host: "::1", port: 6379, db: 1 }],
    ["unix:///var/run/redis.sock", { path: "/var/run/redis.sock" }],
    ["unix:///tmp/r.sock?db=4&password=pw", { path: "/tmp/r.sock", db: 4, password: "pw" }],
  ])("%s", (uri, expected) => {
    const config = configFromRedisUri(new URL(uri));
    expect(config).toEqual(expected);
    expect(() => parse(config)).not.toThrow();
  });

  it("passes unknown query options on, so validation names them", () => {
    const error = invalid(configFromRedisUri(new URL("redis://h/0?keyprefix=x")));
    expect(error.code).toBe("ERR_THEMIS_INVALID_CONFIG");
    expect(error.issues).toEqual([{ path: "keyprefix", message: expect.stringContaining("keyPrefix") }]);
  });

  it("the package.json lists the schemes, so a URI resolves without importing code", async () => {
    const registry = new Registry({ cwd: packageDir });
    const info = (await registry.list()).find((b) => b.name === "redis");
    expect(info).toMatchObject({ kind: "storage", schemes: ["redis", "rediss", "unix"] });
    for (const scheme of ["redis", "rediss", "unix"]) {
      const { definition } = await registry.resolve(`${scheme}://h/0`, "storage");
      expect(definition.name).toBe("redis");
    }
  });
});

describe("config validation", () => {
  it("applies defaults", () => {
    expect(parse({})).toMatchObject({ keyPrefix: "themis", connectTimeout: 10_000, retries: 4 });
  });
  it.each([
    [{ keyPrefix: "has space" }, "keyPrefix"],
    [{ keyPrefix: "{tag}" }, "keyPrefix"],
    [{ port: 70000 }, "port"],
    [{ db: -1 }, "db"],
    [{ url: "http://h" }, "url"],
    [{ url: "not a uri" }, "url"],
    [{ path: "/tmp/s", host: "h" }, "path"],
    [{ client: {} }, "client"],
    [{ hots: "h" }, "hots"],
  ])("rejects %j at %s", (raw, where) => {
    const error = invalid(raw);
    expect(error.code).toBe("ERR_THEMIS_INVALID_CONFIG");
    expect(error.issues.map((i) => i.path)).toContain(where);
  });
  it("suggests the option a typo meant", () => {
    expect(invalid({ hots: "h" }).issues[0]!.message).toContain('"host"');
  });
  it("refuses a client together with connection options", () => {
    const client = new Redis({ lazyConnect: true });
    expect(invalid({ client, host: "h" }).issues[0]!.path).toBe("client");
    client.disconnect();
  });
  it("does not echo a URI it cannot parse (it may hold a password)", () => {
    const error = invalid({ url: "redis://:hunter2@bad host/0" });
    expect(error.message).not.toContain("hunter2");
  });
  it("marks password and url secret: redactConfig hides them", () => {
    const config = parse({ url: "redis://:hunter2@h/0", password: "hunter2", host: "h" });
    const shown = redactConfig(redisBackend, config) as Record<string, unknown>;
    expect(shown).toMatchObject({ url: REDACTED, password: REDACTED, host: "h" });
    expect(JSON.stringify(shown)).not.toContain("hunter2");
  });
});

describe.skipIf(!redisAvailable)("selecting the backend", () => {
  const prefix = uniquePrefix("uri");
  const raw = rawClient();
  afterAll(async () => {
    await dropPrefix(raw, prefix);
    raw.disconnect();
  });

  it('Project.create("p", "redis://...") finds the installed package and stores there', async () => {
    const registry = new Registry({ cwd: packageDir });
    const project = await Project.create("by_uri", `${redisUrl}/0?keyPrefix=${encodeURIComponent(prefix)}`, {}, { registry });
    await (await project.createDataset("d")).append({ x: 1 });
    expect(String(project.storage)).toContain(prefix);
    await project.close();
    expect(await raw.exists(`${prefix}:{by_uri}:project`)).toBe(1);
  });

  it('Project.create("p", "redis", { host, port, keyPrefix }) works the same', async () => {
    const url = new URL(redisUrl);
    const registry = new Registry({ discover: false }).register(redisBackend);
    const project = await Project.create(
      "by_name",
      "redis",
      { host: url.hostname, port: Number(url.port), keyPrefix: prefix, ...(url.password ? { password: decodeURIComponent(url.password) } : {}) },
      { registry },
    );
    expect(await project.listDatasets()).toEqual([]);
    await project.close();
    expect(await raw.sismember(`${prefix}:projects`, "by_name")).toBe(1);
  });

  it("uses an existing client and leaves it open", async () => {
    const client = rawClient();
    const backend = await createBackend({ url: undefined, client, keyPrefix: prefix });
    const project = await Project.create("with_client", backend);
    await (await project.createExperiment("e")).append({ ok: true });
    await project.close();
    await backend.close();
    expect(client.status).toBe("ready");
    expect(await client.hlen(`${prefix}:{with_client}:experiment:e:rows`)).toBe(1);
    client.disconnect();
  });
});

describe.skipIf(!serverBinary)("unix sockets", () => {
  it('Project.create("p", "unix:///path/redis.sock?db=2") stores through the socket', async () => {
    const socket = path.join(tmpdir(), `themis-redis-${process.pid}-${Date.now()}.sock`);
    const server = await RedisServer.start({ args: ["--unixsocket", socket, "--unixsocketperm", "700"] });
    try {
      const registry = new Registry({ discover: false }).register(redisBackend);
      const project = await Project.create("over_socket", `unix://${socket}?db=2`, {}, { registry });
      await (await project.createDataset("d")).append({ via: "socket" });
      expect(String(project.storage)).toBe(`RedisStorage(unix://${socket}?db=2, keyPrefix "themis")`);
      await project.close();
      const raw = new Redis({ path: socket, db: 2 });
      expect(await raw.hlen("themis:{over_socket}:dataset:d:rows")).toBe(1);
      raw.disconnect();
    } finally {
      await server.stop();
    }
  });
});
