import { inspect } from "node:util";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Project, Registry, parseBackendConfig, redactConfig } from "@themis/core";
import { requireService } from "@themis/conformance";
import { redisBackend, type RedisStorage } from "../src/index.js";
import { RedisServer } from "./support/redis-server.js";
import { freePort } from "@themis/conformance";
import { serverBinary } from "./support/env.js";

const canRun = requireService("redis-server (password tests)", serverBinary, "redis-server is not installed (apt-get install redis-server)");

const PASSWORD = "s3cr3t-P@ss/w0rd";
const WRONG = "wr0ng-Pa55-guess";
const encoded = (p: string): string => encodeURIComponent(p);

/** Everything a user could see of an error or object: message, stack, causes, inspect, JSON. */
function everything(value: unknown): string {
  const parts = [String(value), inspect(value, { depth: 10, showHidden: true })];
  try {
    parts.push(JSON.stringify(value) ?? "");
  } catch {
    // Not serializable: inspect covered it.
  }
  for (let e = value as { stack?: unknown; cause?: unknown } | undefined; e && typeof e === "object"; e = e.cause as typeof e) {
    parts.push(String(e.stack ?? ""));
  }
  return parts.join("\n");
}

function expectNoSecret(text: string): void {
  for (const secret of [PASSWORD, WRONG, encoded(PASSWORD), encoded(WRONG)]) expect(text).not.toContain(secret);
}

async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error("expected a failure");
}

const create = async (raw: Record<string, unknown>): Promise<RedisStorage> =>
  (await redisBackend.create(parseBackendConfig(redisBackend, raw))) as RedisStorage;

describe.skipIf(!canRun)("secrets never appear in errors, logs or toString()", () => {
  let server: RedisServer;
  const logged: string[] = [];
  const restore: (() => void)[] = [];

  beforeAll(async () => {
    server = await RedisServer.start({ password: PASSWORD });
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(() => {
    logged.length = 0;
    for (const method of ["log", "info", "warn", "error", "debug"] as const) {
      const original = console[method];
      console[method] = (...args: unknown[]) => void logged.push(args.map((a) => everything(a)).join(" "));
      restore.push(() => (console[method] = original));
    }
    for (const stream of [process.stdout, process.stderr]) {
      const original = stream.write.bind(stream);
      stream.write = ((chunk: unknown, ...rest: unknown[]) => {
        logged.push(String(chunk));
        return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
      }) as typeof stream.write;
      restore.push(() => (stream.write = original));
    }
  });
  afterEach(() => {
    for (const undo of restore.splice(0)) undo();
    expectNoSecret(logged.join("\n"));
  });

  it("with the right password in the URL: works, and toString/inspect/JSON show no password", async () => {
    const url = `redis://default:${encoded(PASSWORD)}@127.0.0.1:${server.port}/0`;
    const registry = new Registry({ discover: false }).register(redisBackend);
    const project = await Project.create("p", url, { keyPrefix: "themis-secrets" }, { registry });
    await (await project.createDataset("d")).append({ x: 1 });
    const shown = everything(project.storage);
    expect(shown).toContain(`127.0.0.1:${server.port}`);
    expectNoSecret(shown);
    expectNoSecret(everything(redactConfig(redisBackend, parseBackendConfig(redisBackend, { url, password: PASSWORD }))));
    await project.close();
  });

  it("with a wrong password: INVALID_CONFIG (fix the password), naming host:port and the user, never the password", async () => {
    const error = await failure(create({ url: `redis://default:${encoded(WRONG)}@127.0.0.1:${server.port}/0` }));
    expect(error).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", retryable: false, issues: [{ path: "password" }] });
    expect(error.message).toContain(`127.0.0.1:${server.port}`);
    expect(error.message).toContain("default");
    expectNoSecret(everything(error));
  });

  it("without a password on a server that wants one: INVALID_CONFIG when connecting", async () => {
    const error = await failure(create({ host: "127.0.0.1", port: server.port }));
    expect(error.code).toBe("ERR_THEMIS_INVALID_CONFIG");
    expect(error.message).toContain(`127.0.0.1:${server.port}`);
  });

  it("when nothing listens: UNAVAILABLE naming host:port, never the password", async () => {
    const port = await freePort();
    const error = await failure(create({ url: `redis://:${encoded(PASSWORD)}@127.0.0.1:${port}/0` }));
    expect(error.code).toBe("ERR_THEMIS_UNAVAILABLE");
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expectNoSecret(everything(error));
  });

  it("when the server goes away under an open backend: UNAVAILABLE, never the password", async () => {
    const own = await RedisServer.start({ password: PASSWORD });
    const backend = await create({ url: `redis://:${encoded(PASSWORD)}@127.0.0.1:${own.port}/0`, retries: 0 });
    await backend.listProjects();
    await own.stop();
    const error = await failure(backend.listProjects());
    expect(error.code).toBe("ERR_THEMIS_UNAVAILABLE");
    expect(error.message).toContain(`127.0.0.1:${own.port}`);
    expectNoSecret(everything(error));
    await backend.close();
  });

  it("an invalid config given with a password does not echo it", async () => {
    const registry = new Registry({ discover: false }).register(redisBackend);
    const error = await failure(Project.create("p", `redis://:${encoded(PASSWORD)}@127.0.0.1:${server.port}/0?keyPrefx=x`, {}, { registry }));
    expect(error.code).toBe("ERR_THEMIS_INVALID_CONFIG");
    expectNoSecret(everything(error));
  });
});
