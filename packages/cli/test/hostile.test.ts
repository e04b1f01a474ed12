// Hostile input at the CLI: plugins that never load, backends that never answer,
// durations past Node's timer limit, and credentials in URL-shaped config fields.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeApp, themis, themisJson } from "./helpers.js";

/** Add a fixture package to an app made by makeApp. */
function addPackage(app: string, name: string, backends: Record<string, unknown>, source: string): void {
  const dir = path.join(app, "node_modules", name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name, version: "0.0.1", type: "module", exports: { ".": "./index.js", "./package.json": "./package.json" }, themisBackends: backends }),
  );
  writeFileSync(path.join(dir, "index.js"), source);
  const pkg = JSON.parse(readFileSync(path.join(app, "package.json"), "utf8")) as { dependencies: Record<string, string> };
  pkg.dependencies[name] = "0.0.1";
  writeFileSync(path.join(app, "package.json"), JSON.stringify(pkg));
}

// listProjects never settles, and an open handle (as a socket to a silent server would be)
// keeps the event loop alive.
const SILENT = `
import { defineStorageBackend, memoryBackend } from "@themis/core";
import { z } from "zod";
export default defineStorageBackend({
  name: "acme/silent",
  configSchema: z.strictObject({}),
  create: () => ({ ...memoryBackend.create({ namespace: "silent" }), name: "acme/silent", listProjects: () => { setInterval(() => {}, 1000); return new Promise(() => {}); }, close: async () => {} }),
});
`;

describe("a plugin whose import never settles", () => {
  const app = makeApp([]);
  addPackage(app, "acme-stuck", { "acme/stuck": { kind: "storage", entry: "./index.js" } }, "await new Promise(() => {});\nexport default {};\n");
  const env = { THEMIS_BACKEND_LOAD_TIMEOUT_MS: "500" };

  it("backends list shows it broken, with a load diagnostic, and exits", async () => {
    const { code, json } = await themisJson(app, ["backends", "list"], env);
    // A broken package makes `backends list` fail (exit 1), so scripts notice.
    expect(code).toBe(1);
    const stuck = json.backends.find((b: { name: string }) => b.name === "acme/stuck");
    expect(stuck).toMatchObject({
      status: "broken",
      diagnostics: [expect.objectContaining({ phase: "load", message: expect.stringMatching(/did not finish loading within 500 ms/) })],
    });
  });

  it("doctor reports it and exits", async () => {
    const { code, stdout } = await themis(app, ["doctor"], env);
    expect(code).toBe(1);
    expect(stdout).toMatch(/✗ backends acme\/stuck: .*did not finish loading/);
  });
});

describe("a storage backend that never answers", () => {
  it("doctor fails that check after --timeout and exits", async () => {
    const app = makeApp([], { "themis.config.yaml": "storage: acme/silent\n" });
    addPackage(app, "acme-silent", { "acme/silent": { kind: "storage", entry: "./index.js" } }, SILENT);
    const { code, json } = await themisJson(app, ["doctor", "--timeout", "500"]);
    expect(code).toBe(1);
    expect(json.checks.find((c: { check: string }) => c.check === "storage")).toMatchObject({
      ok: false,
      backend: "acme/silent",
      detail: expect.stringMatching(/did not finish within 500 ms/),
    });
    expect(json.checks.find((c: { check: string }) => c.check === "execution")).toMatchObject({ ok: true });
  });
});

describe("durations past Node's timer limit are usage errors", () => {
  it.each([
    ["run -t 3000000000", ["run", "./t.mjs#f", "--dataset", "d", "--experiment", "e", "-t", "3000000000"]],
    ["doctor --timeout 3000000000", ["doctor", "--timeout", "3000000000"]],
  ])("%s", async (_what, args) => {
    const { code, stderr } = await themis(makeApp([]), args);
    expect(code).toBe(2);
    expect(stderr).toMatch(/2147483647/);
  });
});

describe("credentials in URL-shaped fields", () => {
  it("config and backends validate mask a password in a field not marked secret", async () => {
    const secret = "canary-ssh-5e2a9d";
    const app = makeApp(["acme-vault"], {
      "themis.config.yaml": `storage:\n  type: acme/vault\n  host: "ssh://deploy:${secret}@build.example"\n  password: pw-123456\n`,
    });
    for (const args of [
      ["config"],
      ["config", "--json"],
      ["backends", "validate", "themis.config.yaml"],
      ["backends", "validate", "themis.config.yaml", "--json"],
    ]) {
      const result = await themis(app, args);
      expect(result.stdout + result.stderr).not.toContain(secret);
      expect(result.stdout).toContain("ssh://deploy:");
    }
  });

  it("a YAML syntax error next to a secret does not print the secret", async () => {
    const secret = "canary-yaml-8c1f3b";
    const app = makeApp(["acme-vault"], { "themis.config.yaml": `storage:\n  type: acme/vault\n  password: ${secret}\n   host: [oops\n` });
    for (const args of [["config"], ["config", "--json"], ["doctor"], ["backends", "list", "--json"]]) {
      const result = await themis(app, args);
      expect(result.stdout + result.stderr).not.toContain(secret);
    }
  });
});

describe("errors quoting a connection string", () => {
  // A client library failing with a URL whose credentials are not in the config (a proxy
  // from the environment, say): no known secret to scrub, the URL shape is enough.
  const PROXIED = `
import { defineStorageBackend, memoryBackend } from "@themis/core";
import { z } from "zod";
export default defineStorageBackend({
  name: "acme/proxied",
  configSchema: z.strictObject({}),
  create: () => ({ ...memoryBackend.create({ namespace: "proxied" }), name: "acme/proxied", listProjects: async () => { throw new Error("tunneling socket could not be established via http://proxyuser:canary-proxy-4d2e@proxy.example:3128"); }, close: async () => {} }),
});
`;

  it("mask the URL's password even when it is not a known secret", async () => {
    const app = makeApp([]);
    addPackage(app, "acme-proxied", { "acme/proxied": { kind: "storage", entry: "./index.js" } }, PROXIED);
    for (const json of [false, true]) {
      const result = await themis(app, ["projects", "ls", "--storage", "acme/proxied", ...(json ? ["--json"] : [])]);
      expect(result.code).toBe(1);
      expect(result.stdout + result.stderr).toMatch(/http:\/\/proxyuser:\[redacted\]@proxy\.example/);
      expect(result.stdout + result.stderr).not.toContain("canary-proxy-4d2e");
    }
  });
});
