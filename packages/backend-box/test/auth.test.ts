import { generateKeyPairSync, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BoxClient, BoxDeveloperTokenAuth } from "box-node-sdk";
import { Project, parseBackendConfig, redactConfig, secretPaths, configJsonSchema, type StorageBackend } from "@themis/core";
import { BoxRetryPolicy, boxBackend, createBoxClient, retryAfterMs } from "../src/index.js";
import { box, boxConfig, createBox, idAt, server } from "./helpers.js";

const made: Array<{ storage: StorageBackend; project: string }> = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  await server.clearFaults();
  for (const { storage, project } of made.splice(0)) {
    await storage.deleteProject(project).catch(() => undefined);
    await storage.close();
  }
});

const unique = (prefix: string): string => `${prefix}_${randomBytes(4).toString("hex")}`;

/** Create a project, write and read a row: the auth works end to end. */
async function roundTrip(config: Record<string, unknown>): Promise<void> {
  const storage = await boxBackend.create(parseBackendConfig(boxBackend, config));
  const project = unique("auth");
  made.push({ storage, project });
  const p = await Project.create(project, storage);
  const id = await (await p.createDataset("d")).append({ ok: true });
  expect(await (await p.getDataset("d")).get(id)).toEqual({ _row_id: id, ok: true });
}

const urls = { baseUrl: box.baseUrl, uploadUrl: box.uploadUrl, oauth2Url: box.oauth2Url };

describe("auth modes", () => {
  it("developer token from the config", async () => {
    await roundTrip({ ...urls, developerToken: box.token });
  });

  it("developer token from BOX_DEVELOPER_TOKEN when the config has no credentials", async () => {
    vi.stubEnv("BOX_DEVELOPER_TOKEN", box.token);
    await roundTrip({ ...urls });
  });

  it("client credentials grant, as the enterprise's service account or as a user", async () => {
    const app = { clientId: unique("ccg"), clientSecret: randomBytes(16).toString("hex"), enterpriseId: "9001" };
    await server.addApp(app);
    await roundTrip({ ...urls, clientId: app.clientId, clientSecret: app.clientSecret, enterpriseId: "9001" });
    vi.stubEnv("BOX_CLIENT_SECRET", app.clientSecret);
    await roundTrip({ ...urls, clientId: app.clientId, userId: "42" });
  });

  it("client credentials that Box refuses: INVALID_CONFIG, not retryable", async () => {
    const app = { clientId: unique("ccg"), clientSecret: "right", enterpriseId: "9001" };
    await server.addApp(app);
    const storage = await boxBackend.create(parseBackendConfig(boxBackend, { ...urls, clientId: app.clientId, clientSecret: "wrong", enterpriseId: "9001" }));
    await expect(storage.listProjects()).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", retryable: false });
    await storage.close();
  });

  it("JWT config file downloaded from the developer console (encrypted private key)", async () => {
    const passphrase = randomBytes(8).toString("hex");
    const { publicKey, privateKey } = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase },
    });
    const app = { clientId: unique("jwt"), clientSecret: randomBytes(16).toString("hex"), enterpriseId: "9002", publicKey };
    await server.addApp(app);
    const file = path.join(mkdtempSync(path.join(tmpdir(), "themis-box-jwt-")), "config.json");
    writeFileSync(
      file,
      JSON.stringify({
        boxAppSettings: { clientID: app.clientId, clientSecret: app.clientSecret, appAuth: { publicKeyID: "k1", privateKey, passphrase } },
        enterpriseID: "9002",
      }),
    );
    await roundTrip({ ...urls, jwtConfigFile: file });
    vi.stubEnv("BOX_JWT_CONFIG_FILE", file);
    await roundTrip({ ...urls });
  });

  it("an existing BoxClient, whose SDK-default retry strategy is replaced (it ignores retry-after)", async () => {
    const client = new BoxClient({ auth: new BoxDeveloperTokenAuth({ token: box.token }) }).withCustomBaseUrls(urls);
    await roundTrip({ client });
    const config = parseBackendConfig(boxBackend, { client });
    expect(createBoxClient(config).client.networkSession.retryStrategy).toBeInstanceOf(BoxRetryPolicy);
  });
});

describe("config validation", () => {
  const invalid = (raw: Record<string, unknown>) => {
    try {
      const config = parseBackendConfig(boxBackend, raw);
      createBoxClient(config);
    } catch (error) {
      return error as { code: string; issues: Array<{ path: string }> };
    }
    throw new Error("expected an invalid config");
  };

  it("refuses two ways to authenticate, naming the field", () => {
    expect(invalid({ developerToken: "t", jwtConfigFile: "/x.json" })).toMatchObject({
      code: "ERR_THEMIS_INVALID_CONFIG",
      issues: [{ path: "jwtConfigFile" }],
    });
  });
  it("refuses a config without credentials when the environment has none", () => {
    for (const name of ["BOX_DEVELOPER_TOKEN", "BOX_JWT_CONFIG_FILE", "BOX_CLIENT_ID"]) vi.stubEnv(name, "");
    expect(invalid({})).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", issues: [{ path: "developerToken" }] });
  });
  it("refuses client credentials without a subject or a secret", () => {
    vi.stubEnv("BOX_CLIENT_SECRET", "");
    vi.stubEnv("BOX_ENTERPRISE_ID", "");
    vi.stubEnv("BOX_USER_ID", "");
    expect(invalid({ clientId: "id", clientSecret: "s" })).toMatchObject({ issues: [{ path: "enterpriseId" }] });
    expect(invalid({ clientId: "id", enterpriseId: "1" })).toMatchObject({ issues: [{ path: "clientSecret" }] });
  });
  it("refuses a missing JWT config file, a bad folder id, unknown options", () => {
    expect(invalid({ jwtConfigFile: "/no/such/file.json" })).toMatchObject({ issues: [{ path: "jwtConfigFile" }] });
    expect(invalid({ developerToken: "t", rootFolderId: "abc" })).toMatchObject({ issues: [{ path: "rootFolderId" }] });
    expect(invalid({ developerToken: "t", rootFolder: "1" })).toMatchObject({ issues: [{ path: "rootFolder" }] });
  });
  it("marks secrets so that redactConfig hides them, and has a JSON Schema", () => {
    expect(secretPaths(boxBackend).sort()).toEqual(["client", "clientSecret", "developerToken"]);
    expect(redactConfig(boxBackend, { developerToken: "tok", clientSecret: "sec", rootFolderId: "1" })).toEqual({
      developerToken: "[redacted]",
      clientSecret: "[redacted]",
      rootFolderId: "1",
    });
    expect(configJsonSchema(boxBackend)).toMatchObject({ type: "object", properties: { rootFolderId: { default: "0" } } });
  });
});

describe("retry-after", () => {
  it("reads seconds and HTTP dates, and bounds the wait", () => {
    expect(retryAfterMs("2")).toBe(2000);
    expect(retryAfterMs("0.5")).toBe(500);
    expect(retryAfterMs(new Date(Date.now() + 3000).toUTCString(), Date.now())).toBeGreaterThan(1000);
    expect(retryAfterMs("soon")).toBeUndefined();
    const policy = new BoxRetryPolicy({ retries: 3, baseDelayMs: 100, maxDelayMs: 5000 });
    expect(policy.delayMs("3", 1)).toBe(3000);
    expect(policy.delayMs("60", 1)).toBe(5000);
    // Without retry-after: core's full-jitter backoff, uniform in [0, min(max, base·2^(n-1))].
    const random = vi.spyOn(Math, "random");
    try {
      random.mockReturnValue(0.999_999);
      expect([1, 2, 3, 7].map((n) => policy.delayMs(undefined, n))).toEqual([100, 200, 400, 5000]);
      random.mockReturnValue(0);
      expect(policy.delayMs(undefined, 3)).toBe(0);
    } finally {
      random.mockRestore();
    }
  });
});

describe("secrets never reach errors or logs", () => {
  /** Everything a user could see of an error: message, stack, inspect, JSON, the cause chain. */
  const visible = (error: unknown): string => {
    const parts: string[] = [];
    for (let e: unknown = error, depth = 0; e && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
      parts.push(String(e), (e as Error).stack ?? "", inspect(e, { depth: 8, showHidden: true }), JSON.stringify(e) ?? "");
    }
    return parts.join("\n");
  };

  it("keeps the token out of every error and of console output", async () => {
    const output: string[] = [];
    const capture = (...args: unknown[]) => void output.push(args.map((a) => (typeof a === "string" ? a : inspect(a, { depth: 8 }))).join(" "));
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((m) => vi.spyOn(console, m).mockImplementation(capture));
    const writes = [vi.spyOn(process.stdout, "write"), vi.spyOn(process.stderr, "write")];
    try {
      const errors: unknown[] = [];
      const wrongToken = `wrong-${randomBytes(12).toString("hex")}`;
      const bad = await createBox({ developerToken: wrongToken });
      errors.push(await bad.listProjects().catch((e: unknown) => e));
      await bad.close();

      const good = await createBox({ requestRetries: 1 });
      const project = unique("secret");
      made.push({ storage: good, project });
      const p = await Project.create(project, good);
      const t = await p.createDataset("d");
      errors.push(await t.get("nope").catch((e: unknown) => e));
      errors.push(await p.getDataset("missing").catch((e: unknown) => e));
      const datasets = await idAt("0", [project, "datasets"]);
      await server.fault({ method: "GET", path: `^/2\\.0/folders/${datasets}/items$`, status: 500, times: 100 });
      errors.push(await p.listDatasets().catch((e: unknown) => e));
      await server.clearFaults();

      expect(errors[0]).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", cause: { status: 401 } });
      expect(errors[1]).toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
      expect(errors[2]).toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
      expect(errors[3]).toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE", cause: { status: 500 } });
      const seen = errors.map(visible).join("\n") + output.join("\n") + writes.flatMap((w) => w.mock.calls.map((c) => String(c[0]))).join("\n");
      expect(seen).not.toContain(wrongToken);
      expect(seen).not.toContain(box.token);
      expect(seen.toLowerCase()).not.toContain("bearer ");
    } finally {
      for (const s of [...spies, ...writes]) s.mockRestore();
    }
  });

  it("keeps client secrets out of the error when the token request fails", async () => {
    const secret = `sec-${randomBytes(12).toString("hex")}`;
    const storage = await boxBackend.create(
      parseBackendConfig(boxBackend, { ...boxConfig(), developerToken: undefined, clientId: unique("nobody"), clientSecret: secret, enterpriseId: "1" }),
    );
    const error = await storage.listProjects().catch((e: unknown) => e);
    await storage.close();
    expect(error).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG" });
    expect(visible(error)).not.toContain(secret);
  });
});
