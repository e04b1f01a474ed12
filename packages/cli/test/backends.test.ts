import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeApp, themis, themisJson } from "./helpers.js";

describe("themis backends list", () => {
  const app = makeApp(["acme-runner", "acme-vault", "acme-broken"]);

  it("lists built-in and installed backends, broken ones with their diagnostics, and exits 1 naming the package", async () => {
    const { code, stdout, stderr } = await themis(app, ["backends", "list"]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/1 installed package with a problem: acme-broken\n/);
    expect(stdout).toMatch(/^acme\/runner\s+execution\s+acme-runner@1\.2\.3\s+-\s+ok/m);
    expect(stdout).toMatch(/^acme\/vault\s+storage\s+acme-vault@1\.2\.3\s+vault\s+ok/m);
    expect(stdout).toMatch(/^memory\s+storage\s+\(built-in\)/m);
    expect(stdout).toMatch(/^acme\/broken\s+storage\s+acme-broken@1\.2\.3\s+-\s+broken/m);
    expect(stdout).toMatch(/acme-broken fails to load/);
  });

  it("exits 0 when every installed backend loads", async () => {
    const healthy = makeApp(["acme-runner", "acme-vault"]);
    expect(await themis(healthy, ["backends", "list"])).toMatchObject({ code: 0, stderr: "" });
    expect((await themisJson(healthy, ["backends", "list"])).code).toBe(0);
  });

  it("--json gives every field, diagnostics included", async () => {
    const { code, json } = await themisJson(app, ["backends", "list"]);
    expect(code).toBe(1);
    const byName = Object.fromEntries(json.backends.map((b: { name: string }) => [b.name, b]));
    expect(byName["acme/runner"]).toMatchObject({ kind: "execution", source: "discovered", package: "acme-runner", version: "1.2.3", status: "ok" });
    expect(byName["acme/broken"]).toMatchObject({ status: "broken", diagnostics: [{ phase: "load", package: "acme-broken" }] });
    expect(byName.local).toMatchObject({ kind: "execution", source: "builtin" });
  });

  it("a config's backends.skip hides an installed backend", async () => {
    const skipping = makeApp(["acme-runner", "acme-broken"], { "themis.config.yaml": "backends:\n  skip: [acme/broken]\n" });
    const { code, json } = await themisJson(skipping, ["backends", "list"]);
    expect(code).toBe(0);
    expect(json.backends.map((b: { name: string }) => b.name)).not.toContain("acme/broken");
    expect(json.backends.map((b: { name: string }) => b.name)).toContain("acme/runner");
  });
});

describe("themis backends schema", () => {
  const app = makeApp(["acme-runner"]);

  it("prints the JSON Schema of a third-party backend's config file", async () => {
    const { code, stdout } = await themis(app, ["backends", "schema", "acme/runner"]);
    expect(code).toBe(0);
    const schema = JSON.parse(stdout);
    expect(schema.properties.type).toEqual({ const: "acme/runner", description: expect.any(String) });
    expect(schema.properties.timeout).toMatchObject({ type: "integer", minimum: 60, maximum: 86400, default: 3600 });
    expect(schema.properties.token.secret).toBe(true);
    expect(schema.required).toEqual(["type", "image"]);
  });

  it("an unknown name fails with did-you-mean", async () => {
    const { code, stderr } = await themis(app, ["backends", "schema", "acme/runer"]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/did you mean "acme\/runner"/i);
  });
});

describe("themis backends create", () => {
  const app = makeApp(["acme-runner"]);

  it("writes a commented template that validates once the required fields are filled", async () => {
    const created = await themis(app, ["backends", "create", "acme/runner", "--output", "runner.yaml"]);
    expect(created.code).toBe(0);
    const text = readFileSync(path.join(app, "runner.yaml"), "utf8");
    expect(text).toMatch(/^type: acme\/runner$/m);
    expect(text).toMatch(/^# Seconds a job may run$/m);
    expect(text).toMatch(/^timeout: 3600$/m);
    expect(text).toMatch(/^# token: \$\{env:THEMIS_ACME_RUNNER_TOKEN\}$/m);
    const incomplete = await themisJson(app, ["backends", "validate", "runner.yaml"]);
    expect(incomplete.code).toBe(1);
    expect(incomplete.json.error.issues.map((i: { path: string }) => i.path)).toEqual(["image"]);
    writeFileSync(path.join(app, "runner.yaml"), text.replace(/^image:$/m, "image: busybox"));
    const valid = await themisJson(app, ["backends", "validate", "runner.yaml"]);
    expect(valid.code).toBe(0);
    expect(valid.json).toMatchObject({
      valid: true,
      document: "backend",
      kind: "execution",
      backend: "acme/runner",
      config: { image: "busybox", timeout: 3600 },
    });
  });

  it("refuses to overwrite without --force; prints to stdout without --output; JSON format", async () => {
    writeFileSync(path.join(app, "exists.yaml"), "keep me\n");
    expect((await themis(app, ["backends", "create", "memory", "-o", "exists.yaml"])).code).toBe(1);
    expect(readFileSync(path.join(app, "exists.yaml"), "utf8")).toBe("keep me\n");
    expect((await themis(app, ["backends", "create", "memory", "-o", "exists.yaml", "--force"])).code).toBe(0);
    const stdout = await themis(app, ["backends", "create", "memory"]);
    expect(stdout.stdout).toMatch(/^namespace: default$/m);
    const json = await themis(app, ["backends", "create", "acme/runner", "--format", "json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ type: "acme/runner", image: null, timeout: 3600, cpu: 1, memory: "1g", volumes: [] });
  });
});

describe("themis backends validate", () => {
  const app = makeApp(["acme-runner", "acme-vault"], {
    "themis.config.yaml":
      "project: demo\nstorage:\n  type: acme/vault\n  password: ${env:VAULT_PW}\nexecution:\n  type: acme/runner\n  image: busybox\n  cpu: 4\n",
    "package-config/package.json": JSON.stringify({ name: "x", themis: { storage: "memory" } }),
  });

  it("accepts a whole themis config and prints it resolved, secrets as written", async () => {
    const { code, json } = await themisJson(app, ["backends", "validate", "themis.config.yaml"], { VAULT_PW: "pw-from-env" });
    expect(code).toBe(0);
    expect(json).toMatchObject({
      valid: true,
      document: "themis",
      config: { project: "demo", storage: { type: "acme/vault", password: "${env:VAULT_PW}" }, execution: { cpu: 4, timeout: 3600 } },
    });
  });

  it('accepts the "themis" key of a package.json', async () => {
    const { code, json } = await themisJson(app, ["backends", "validate", "package-config/package.json"]);
    expect(code).toBe(0);
    expect(json.config.storage).toEqual({ type: "memory", namespace: "default" });
  });
});

describe("themis config", () => {
  it("shows the config file in use, resolved with defaults, found from a subfolder", async () => {
    const app = makeApp([], { "themis.config.yaml": "project: demo\nstorage: memory\n", "src/deep/.keep": "" });
    const { code, json } = await themisJson(path.join(app, "src", "deep"), ["config"]);
    expect(code).toBe(0);
    expect(json).toEqual({ file: path.join(app, "themis.config.yaml"), project: "demo", storage: { type: "memory", namespace: "default" } });
    const human = await themis(app, ["config"]);
    expect(human.stdout).toMatch(/^storage:\n {2}type: memory\n {2}namespace: default$/m);
  });

  it("--config picks a file; no config at all is exit 1", async () => {
    const app = makeApp([], { "other.yaml": "project: other\n" });
    expect((await themisJson(app, ["config", "--config", "other.yaml"])).json.project).toBe("other");
    const none = await themisJson(app, ["config"]);
    expect(none.code).toBe(1);
    expect(none.json.error.code).toBe("ERR_THEMIS_NOT_FOUND");
  });
});
