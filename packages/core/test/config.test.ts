import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  Project,
  REDACTED,
  Registry,
  clearConfigCache,
  defaultExecution,
  defaultStorage,
  findConfigFile,
  loadConfig,
  printableConfig,
  resolveBackendConfig,
  resolveConfig,
  substituteEnv,
} from "../src/index.js";
import { configError, copyFixture, fixtureRegistry, makeProject } from "./config-helpers.js";
import { makeApp, memoryBackendModule } from "./fixtures.js";

afterEach(() => clearConfigCache());

describe("config search", () => {
  it.each([
    ["themis.config.yaml", "project: from_yaml\nstorage: memory\n", "from_yaml"],
    ["themis.config.yml", "project: from_yml\nstorage: memory\n", "from_yml"],
    ["themis.config.json", JSON.stringify({ project: "from_json", storage: "memory" }), "from_json"],
    [".themisrc", "project: from_rc\nstorage: memory\n", "from_rc"],
    [".themisrc.json", JSON.stringify({ project: "from_rc_json", storage: "memory" }), "from_rc_json"],
    [".themisrc.yaml", "project: from_rc_yaml\n", "from_rc_yaml"],
    [".config/themisrc.yml", "project: from_dot_config\n", "from_dot_config"],
  ])("finds %s from a subfolder of the project", async (file, text, project) => {
    const dir = makeProject({ [file]: text, "src/deep/.keep": "" });
    const config = await loadConfig({ cwd: path.join(dir, "src", "deep") });
    expect(config?.file).toBe(path.join(dir, file));
    expect(config?.project).toBe(project);
  });

  it.each(["themis.config.mjs", "themis.config.cjs", "themis.config.ts"])("loads %s (a module's default export)", async (file) => {
    const dir = makeProject();
    copyFixture(file, dir);
    const config = await loadConfig({ cwd: dir });
    expect(config?.project).toBe(`from_${file.split(".").pop()}`);
    expect(config?.storage?.definition.name).toBe("memory");
  });

  it('reads the "themis" key of package.json', async () => {
    const dir = makeProject({}, { name: "app", themis: { project: "from_pkg", storage: { type: "memory", namespace: "pkg" } } });
    const config = await loadConfig({ cwd: dir });
    expect(config?.file).toBe(path.join(dir, "package.json"));
    expect(config?.storage?.config).toEqual({ namespace: "pkg" });
  });

  it("prefers themis.config.* over .themisrc over package.json", async () => {
    const dir = makeProject({ "themis.config.yaml": "project: a\n", ".themisrc.json": '{"project":"b"}' }, { name: "app", themis: { project: "c" } });
    expect((await loadConfig({ cwd: dir }))?.project).toBe("a");
  });

  it("stops at the project root: a config above the nearest package.json is not used", async () => {
    const outer = makeProject({ "themis.config.yaml": "project: outer\n" });
    const inner = path.join(outer, "inner");
    mkdirSync(inner);
    writeFileSync(path.join(inner, "package.json"), "{}");
    expect(await findConfigFile(inner)).toBeUndefined();
    expect(await loadConfig({ cwd: inner })).toBeUndefined();
  });

  it("an empty config file is an empty config; an explicit file is loaded without searching", async () => {
    const dir = makeProject({ "custom.yaml": "project: explicit\n", "themis.config.yaml": "" });
    expect((await loadConfig({ cwd: dir, file: path.join(dir, "custom.yaml") }))?.project).toBe("explicit");
  });
});

describe("config files that cannot be read", () => {
  it("bad YAML names the file and the syntax problem", async () => {
    const dir = makeProject();
    const file = copyFixture("bad-indent.yaml", dir, "themis.config.yaml");
    const error = await configError(loadConfig({ cwd: dir }));
    expect(error.file).toBe(file);
    expect(error.issues[0]?.message).toMatch(/YAML/);
  });

  it("bad JSON, a missing file and a directory are config errors", async () => {
    const dir = makeProject({ "themis.config.json": "{ nope" });
    expect((await configError(loadConfig({ cwd: dir }))).issues[0]?.message).toMatch(/JSON/);
    expect((await configError(loadConfig({ file: path.join(dir, "missing.yaml") }))).issues[0]?.message).toMatch(/not found/);
    mkdirSync(path.join(dir, "folder.yaml"));
    expect((await configError(loadConfig({ file: path.join(dir, "folder.yaml") }))).issues[0]?.message).toMatch(/directory/);
  });

  it("a config module that throws is a config error with the cause kept", async () => {
    const dir = makeProject({ "themis.config.mjs": "throw new Error('boom in config');\n" });
    const error = await configError(loadConfig({ cwd: dir }));
    expect((error.cause as Error).message).toMatch(/boom in config/);
  });
});

describe("validation", () => {
  const registry = fixtureRegistry();
  const issues = async (raw: unknown) => (await configError(resolveConfig(raw, { file: "/p/themis.config.yaml", registry }))).issues;

  it("accepts a name, a URI or { type, ...options }, with defaults applied", async () => {
    const config = await resolveConfig({ storage: { type: "acme/vault", password: "pw" }, execution: "sequential" }, { registry, dir: "/p" });
    expect(config.storage?.config).toEqual({ host: "localhost", password: "pw", dataDir: "/p/vault-data", poolSize: 4 });
    expect(config.execution?.definition.name).toBe("sequential");
    const fromUri = await resolveConfig({ storage: { type: "vault://:s3cret@db.example", poolSize: 2 } }, { registry });
    expect(fromUri.storage?.config).toMatchObject({ host: "db.example", password: "s3cret", poolSize: 2 });
  });

  it("names the file, and every problem with its field path", async () => {
    const error = await configError(
      resolveConfig(
        { storage: { type: "acme/vault", poolSize: 0, pasword: "x" }, execution: { type: "sequential", concurency: 2 } },
        { file: "/p/themis.config.yaml", registry },
      ),
    );
    expect(error.file).toBe("/p/themis.config.yaml");
    expect(error.message).toContain("/p/themis.config.yaml");
    const paths = error.issues.map((i) => i.path).sort();
    expect(paths).toEqual(["execution.concurency", "storage.password", "storage.pasword", "storage.poolSize"]);
    expect(error.issues.find((i) => i.path === "storage.pasword")?.message).toMatch(/did you mean "password"/);
  });

  it("misspelled top-level keys and backend names get a did-you-mean", async () => {
    expect(await issues({ storge: "memory" })).toEqual([{ path: "storge", message: expect.stringMatching(/did you mean "storage"/) }]);
    const [unknown] = await issues({ storage: { type: "acme/vaults", password: "x" } });
    expect(unknown).toMatchObject({ path: "storage.type", message: expect.stringMatching(/did you mean "acme\/vault"/i) });
  });

  it("a backend of the wrong kind, a missing type and a non-object section are issues", async () => {
    expect((await issues({ storage: "sequential" }))[0]).toMatchObject({ path: "storage", message: expect.stringMatching(/execution backend/) });
    expect((await issues({ storage: { password: "x" } }))[0]).toMatchObject({ path: "storage.type", message: expect.stringMatching(/installed: .*memory/) });
    expect((await issues({ execution: 42 }))[0]).toMatchObject({ path: "execution", message: expect.stringMatching(/got number/) });
  });

  it("a backend config file used as a themis config gets a hint", async () => {
    const [issue] = await issues({ type: "memory" });
    expect(issue?.path).toBe("type");
    expect(issue?.message).toMatch(/storage:/);
  });

  it("project names are validated; allow lists are checked against what is installed", async () => {
    expect((await issues({ project: "../etc" }))[0]?.path).toBe("project");
    const dir = makeProject();
    const error = await configError(resolveConfig({ backends: { allow: ["memroy"] } }, { dir }));
    expect(error.issues[0]).toMatchObject({ path: "backends.allow[0]", message: expect.stringMatching(/did you mean "memory"/) });
  });

  it("a single backend config file ({ type, ...options }) is validated against that backend", async () => {
    const backend = await resolveBackendConfig({ type: "acme/vault", password: "pw", poolSize: 64 }, { registry });
    expect(backend.kind).toBe("storage");
    const error = await configError(resolveBackendConfig({ type: "acme/vault", poolSize: 65 }, { registry, file: "/p/vault.yaml" }));
    expect(error.issues.map((i) => i.path).sort()).toEqual(["password", "poolSize"]);
  });
});

describe("${env:NAME} references", () => {
  it("substitutes variables, fallbacks and escapes, and records where they were used", () => {
    const result = substituteEnv({ a: "${env:A}", b: ["x-${env:B:-dflt}-y"], c: "$${env:A}", d: 1 }, { A: "alpha" });
    expect(result.value).toEqual({ a: "alpha", b: ["x-dflt-y"], c: "${env:A}", d: 1 });
    expect([...result.fromEnv]).toEqual([
      ["a", "${env:A}"],
      ["b[0]", "x-${env:B:-dflt}-y"],
    ]);
    expect(result.issues).toEqual([]);
  });

  it("an unset variable without fallback, or a malformed reference, is an issue at that path", async () => {
    const error = await configError(
      resolveConfig(
        { storage: { type: "acme/vault", password: "${env:THEMIS_TEST_UNSET_PW}", host: "${env:bad name}" } },
        { registry: fixtureRegistry(), env: {} },
      ),
    );
    expect(error.issues.map((i) => i.path)).toEqual(expect.arrayContaining(["storage.password", "storage.host"]));
    expect(error.issues.find((i) => i.path === "storage.password")?.message).toMatch(/THEMIS_TEST_UNSET_PW is not set/);
  });

  it("values from the environment reach the backend; printing shows the reference and redacts secrets", async () => {
    const canary = "canary-5f1c0d2e-secret";
    const config = await resolveConfig(
      { storage: { type: "acme/vault", password: "${env:VAULT_PW}", host: "${env:VAULT_HOST}" }, execution: "local" },
      { registry: fixtureRegistry(), env: { VAULT_PW: canary, VAULT_HOST: "db1" } },
    );
    expect(config.storage?.config).toMatchObject({ password: canary, host: "db1" });
    const printed = JSON.stringify(printableConfig(config));
    expect(printed).not.toContain(canary);
    expect(printed).toContain("${env:VAULT_PW}");
    expect(printed).toContain("${env:VAULT_HOST}");
    expect(config.secretValues).toContain(canary);
  });

  it("a secret quoted by the backend's own validation message is redacted", async () => {
    const error = await configError(resolveConfig({ storage: { type: "acme/chatty", token: "short-pw" } }, { registry: fixtureRegistry() }));
    expect(error.issues[0]).toEqual({ path: "storage.token", message: `token "${REDACTED}" is shorter than 12 characters` });
    expect(error.message).not.toContain("short-pw");
  });

  it("a literal secret and a URI password are redacted when printed", async () => {
    const config = await resolveConfig({ storage: "vault://admin:literal-pw-123@db.example" }, { registry: fixtureRegistry() });
    const printed = printableConfig(config);
    expect(JSON.stringify(printed)).not.toContain("literal-pw-123");
    expect(printed.storage).toMatchObject({ type: `vault://admin:${REDACTED}@db.example`, password: REDACTED });
  });
});

describe("paths and registry filters", () => {
  it("relative path options resolve against the config file's folder", async () => {
    const dir = makeProject();
    const config = await resolveConfig(
      { storage: { type: "acme/vault", password: "p", dataDir: "data/cache" } },
      { file: path.join(dir, "themis.config.yaml"), registry: fixtureRegistry() },
    );
    expect((config.storage?.config as { dataDir: string } | undefined)?.dataDir).toBe(path.join(dir, "data", "cache"));
  });

  it("registry allow / skip options hide installed backends; built-ins stay", async () => {
    const storage = (name: string) => ({
      name: `themis-fx-${name.replace("/", "-")}`,
      themisBackends: { [name]: { kind: "storage", entry: "./index.js" } },
      files: { "index.js": memoryBackendModule(name) },
    });
    const app = makeApp("npm", [storage("fx/keep"), storage("fx/drop")]);
    const names = async (registry: Registry) => (await registry.list()).map((b) => b.name);
    expect(await names(new Registry({ cwd: app }))).toEqual(expect.arrayContaining(["fx/keep", "fx/drop", "memory"]));
    const skipping = new Registry({ cwd: app, skip: ["fx/drop"] });
    expect(await names(skipping)).toEqual(expect.arrayContaining(["fx/keep", "memory"]));
    expect(await names(skipping)).not.toContain("fx/drop");
    await expect(skipping.get("fx/drop")).rejects.toMatchObject({
      code: "ERR_THEMIS_UNKNOWN_BACKEND",
      message: expect.stringMatching(/excluded by the registry's allow\/skip/),
    });
    const allowing = new Registry({ cwd: app, allow: ["fx/keep"] });
    expect(await names(allowing)).toEqual(expect.arrayContaining(["fx/keep", "memory", "local"]));
    expect(await names(allowing)).not.toContain("fx/drop");
    // The config's "backends" section builds its registry with these options.
    writeFileSync(path.join(app, "themis.config.yaml"), "backends:\n  skip: [fx/drop]\nstorage: fx/drop\n");
    const error = await configError(loadConfig({ cwd: app }));
    expect(error.issues[0]).toMatchObject({ path: "storage", message: expect.stringMatching(/excluded/) });
  });
});

describe("defaults from the config", () => {
  it("Project.open(name) without a backend uses the config's storage", async () => {
    const dir = makeProject({ "themis.config.yaml": "storage:\n  type: memory\n  namespace: from-config-open\n" });
    const seeded = await Project.create("p", "memory", { namespace: "from-config-open" });
    await (await seeded.createDataset("qa")).append({ q: 1 });
    await seeded.close();
    const previous = process.cwd();
    process.chdir(path.join(dir));
    try {
      const project = await Project.open("p");
      expect(await project.listDatasets()).toEqual(["qa"]);
      await project.close();
      // Options given in code override the config's.
      const other = await Project.openOrCreate("p", undefined, { namespace: "override-ns" });
      expect(await other.listDatasets()).toEqual([]);
      await other.close();
    } finally {
      process.chdir(previous);
    }
  });

  it("without a config, or with one naming no storage, says how to fix it", async () => {
    const empty = makeProject();
    const error = await defaultStorage({ cwd: empty }).then(
      () => undefined,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(error?.code).toBe("ERR_THEMIS_INVALID_CONFIG");
    expect(error?.message).toMatch(/no themis config found/);
    const noStorage = makeProject({ "themis.config.yaml": "project: x\n" });
    await expect(defaultStorage({ cwd: noStorage })).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG" });
  });

  it("the default execution is the config's, else the built-in local", async () => {
    const dir = makeProject({ "themis.config.yaml": "execution: sequential\n" });
    const configured = await defaultExecution({ cwd: dir });
    expect(configured.name).toBe("sequential");
    await configured.close();
    const fallback = await defaultExecution({ cwd: makeProject() });
    expect(fallback.name).toBe("local");
    await fallback.close();
  });

  it("a config with every section loads, with ${env:NAME:-fallback}", async () => {
    const dir = makeProject();
    copyFixture("full.yaml", dir, "themis.config.yaml");
    const config = await loadConfig({ cwd: dir, env: {} });
    expect(config).toMatchObject({ project: "demo", backends: { skip: ["not-installed"] } });
    expect(config?.storage?.config).toEqual({ namespace: "from-fallback" });
    expect(config?.execution?.definition.name).toBe("sequential");
  });
});
