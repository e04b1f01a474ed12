import { describe, expect, it } from "vitest";
import { Project, Registry, memoryBackend, defineStorageBackend, type StorageBackendDefinition } from "../src/index.js";
import { z } from "zod";
import { makeApp, memoryBackendModule } from "./fixtures.js";

const loads = (): number => (globalThis as { __themisFixtureLoads?: number }).__themisFixtureLoads ?? 0;
const storage = (name: string, entry = "./index.js", extra: Record<string, unknown> = {}) => ({ [name]: { kind: "storage", entry, ...extra } });

describe.each(["npm", "pnpm"] as const)("discovery in a %s layout", (layout) => {
  it("finds a backend from package.json without importing it, and imports it on first use", async () => {
    const app = makeApp(layout, [{ name: "themis-fx-a", themisBackends: storage("fx/a"), files: { "index.js": memoryBackendModule("fx/a") } }]);
    const before = loads();
    const registry = new Registry({ cwd: app });
    const listed = await registry.list();
    expect(listed.find((b) => b.name === "fx/a")).toMatchObject({
      kind: "storage",
      source: "discovered",
      package: "themis-fx-a",
      version: "1.0.0",
      status: "not-loaded",
    });
    expect(loads()).toBe(before);
    const project = await Project.create("p", "fx/a", { namespace: `fx-${layout}` }, { registry });
    await (await project.createDataset("d")).append({ x: 1 });
    await project.close();
    expect(loads()).toBe(before + 1);
    expect((await registry.list()).find((b) => b.name === "fx/a")?.status).toBe("ok");
  });

  it("finds a package that does not export ./package.json", async () => {
    const app = makeApp(layout, [
      { name: "themis-fx-closed", exportsPackageJson: false, themisBackends: storage("fx/closed"), files: { "index.js": memoryBackendModule("fx/closed") } },
    ]);
    const registry = new Registry({ cwd: app });
    const def = await registry.get("fx/closed", "storage");
    expect(def.name).toBe("fx/closed");
  });

  it("finds a scoped package and ignores dependencies that are not installed", async () => {
    const app = makeApp(
      layout,
      [{ name: "@acme/themis-fx", themisBackends: storage("acme"), files: { "index.js": memoryBackendModule("acme") } }],
      ["not-installed-anywhere"],
    );
    const registry = new Registry({ cwd: app });
    expect((await registry.list()).map((b) => b.name)).toContain("acme");
    expect(registry.diagnostics()).toEqual([]);
  });

  it("discovers from a subfolder of the app (nearest package.json)", async () => {
    const app = makeApp(layout, [{ name: "themis-fx-sub", themisBackends: storage("fx/sub"), files: { "index.js": memoryBackendModule("fx/sub") } }]);
    const registry = new Registry({ cwd: `${app}/node_modules` });
    // node_modules has no package.json: the app's is the nearest.
    expect((await registry.list()).map((b) => b.name)).toContain("fx/sub");
  });
});

describe("errors a user can act on", () => {
  const app = makeApp("npm", [
    {
      name: "themis-fx-ok",
      themisBackends: { ...storage("fx/ok", "./index.js", { schemes: ["fxok"] }) },
      files: { "index.js": memoryBackendModule("fx/ok", { schemes: ["fxok"] }) },
    },
    { name: "themis-fx-dup1", themisBackends: storage("fx/dup"), files: { "index.js": memoryBackendModule("fx/dup") } },
    { name: "themis-fx-dup2", version: "2.0.0", themisBackends: storage("fx/dup"), files: { "index.js": memoryBackendModule("fx/dup") } },
    { name: "themis-fx-missing", themisBackends: storage("fx/missing", "./dist/index.js") },
    { name: "themis-fx-throws", themisBackends: storage("fx/throws"), files: { "index.js": 'throw new Error("boom at import");' } },
    { name: "themis-fx-notdef", themisBackends: storage("fx/notdef"), files: { "index.js": "export default { name: 'fx/notdef' };" } },
    { name: "themis-fx-v2", themisBackends: storage("fx/v2"), files: { "index.js": memoryBackendModule("fx/v2", { contractVersion: 2 }) } },
    { name: "themis-fx-wrongname", themisBackends: storage("fx/declared"), files: { "index.js": memoryBackendModule("fx/actual") } },
    { name: "themis-fx-badkind", themisBackends: { "fx/badkind": { kind: "database", entry: "./index.js" } } },
    { name: "themis-fx-escape", themisBackends: storage("fx/escape", "../../etc/passwd.js") },
    { name: "themis-fx-badjson", rawPackageJson: "{ not json" },
  ]);
  const registry = new Registry({ cwd: app });

  it("unknown name: code, what is installed, did-you-mean", async () => {
    const error = await registry.get("fx/ko", "storage").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ERR_THEMIS_UNKNOWN_BACKEND", suggestion: "fx/ok" });
    expect((error as { installed: string[] }).installed).toEqual(expect.arrayContaining(["fx/ok", "memory"]));
    expect(String((error as Error).message)).toContain("fx/ok");
  });

  it("unknown first-party name: says which package to install", async () => {
    const error = (await registry.get("redis", "storage").catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: "ERR_THEMIS_UNKNOWN_BACKEND" });
    expect(error.message).toContain("@themis/backend-redis");
  });

  it("two packages claiming one name: DUPLICATE_BACKEND naming both, in diagnostics too", async () => {
    const error = await registry.get("fx/dup", "storage").catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "ERR_THEMIS_DUPLICATE_BACKEND", packages: ["themis-fx-dup1@1.0.0", "themis-fx-dup2@2.0.0"] });
    const info = (await registry.list()).find((b) => b.name === "fx/dup");
    expect(info?.status).toBe("broken");
    expect(info?.diagnostics[0]).toMatchObject({ phase: "duplicate" });
  });

  it("entry module missing: BACKEND_LOAD naming the path, only when used", async () => {
    const error = (await registry.get("fx/missing").catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: "ERR_THEMIS_BACKEND_LOAD" });
    expect(error.message).toContain("dist/index.js");
    expect(registry.diagnostics()).toEqual(
      expect.arrayContaining([expect.objectContaining({ backend: "fx/missing", phase: "load", package: "themis-fx-missing", version: "1.0.0" })]),
    );
  });

  it("entry module that throws: BACKEND_LOAD with the cause kept", async () => {
    const error = (await registry.get("fx/throws").catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: "ERR_THEMIS_BACKEND_LOAD" });
    expect((error.cause as Error).message).toBe("boom at import");
  });

  it("export that is not a definition: INVALID_DEFINITION", async () => {
    await expect(registry.get("fx/notdef")).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_DEFINITION" });
  });

  it("a definition whose name differs from its manifest: INVALID_DEFINITION", async () => {
    await expect(registry.get("fx/declared")).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_DEFINITION" });
  });

  it("unsupported contract version: INCOMPATIBLE_CONTRACT saying what to upgrade", async () => {
    const error = (await registry.get("fx/v2").catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: "ERR_THEMIS_INCOMPATIBLE_CONTRACT" });
    expect(error.message).toContain("upgrade @themis/core");
  });

  it("broken manifests become diagnostics, never exceptions at discovery", async () => {
    const list = await registry.list({ load: true });
    expect(list.find((b) => b.name === "fx/ok")?.status).toBe("ok");
    const diagnostics = registry.diagnostics();
    expect(diagnostics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ backend: "fx/badkind", phase: "manifest", package: "themis-fx-badkind" }),
        expect.objectContaining({ backend: "fx/escape", phase: "manifest" }),
        expect.objectContaining({ phase: "manifest", message: expect.stringContaining("JSON") }),
        expect.objectContaining({ backend: "fx/v2", phase: "contract" }),
        expect.objectContaining({ backend: "fx/notdef", phase: "definition" }),
      ]),
    );
    for (const name of ["fx/missing", "fx/throws", "fx/notdef", "fx/v2"]) expect(list.find((b) => b.name === name)?.status).toBe("broken");
  });

  it("one broken backend does not stop the others", async () => {
    const project = await Project.create("ok", "fx/ok", { namespace: "broken-neighbours" }, { registry });
    expect(await project.listDatasets()).toEqual([]);
    await project.close();
  });

  it("invalid config: INVALID_CONFIG with field path, reason and did-you-mean", async () => {
    const error = await Project.create("p", "fx/ok", { namespase: "x" }, { registry }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: "ERR_THEMIS_INVALID_CONFIG",
      issues: [{ path: "namespase", message: expect.stringContaining('did you mean "namespace"') }],
    });
    const typed = await Project.create("p", "fx/ok", { namespace: 42 }, { registry }).catch((e: unknown) => e);
    expect(typed).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", issues: [{ path: "namespace" }] });
  });

  it("resolves a URI through the scheme a manifest lists", async () => {
    const project = await Project.create("uri", "fxok://from-uri", undefined, { registry });
    expect(project.storage.name).toBe("memory");
    await project.close();
    await expect(Project.create("uri", "nope://x", undefined, { registry })).rejects.toMatchObject({ code: "ERR_THEMIS_UNKNOWN_BACKEND" });
  });

  it("never echoes credentials of a URI nobody accepts", async () => {
    const error = (await registry.resolve("redis://user:hunter2@localhost:6379", "storage").catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: "ERR_THEMIS_UNKNOWN_BACKEND" });
    expect(error.message).not.toContain("hunter2");
    expect(error.message).toContain("@themis/backend-redis");
  });

  it("asking for the wrong kind is an error naming the kind", async () => {
    await expect(registry.get("memory", "execution")).rejects.toMatchObject({ code: "ERR_THEMIS_UNKNOWN_BACKEND" });
  });
});

describe("explicit registration", () => {
  it("registers a definition that wins over a discovered one", async () => {
    const app = makeApp("npm", [{ name: "themis-fx-r", themisBackends: storage("fx/r"), files: { "index.js": memoryBackendModule("fx/r") } }]);
    const registry = new Registry({ cwd: app });
    const mine: StorageBackendDefinition = defineStorageBackend({
      name: "fx/r",
      configSchema: z.strictObject({}),
      create: () => memoryBackend.create({ namespace: "explicit" }),
    });
    registry.register(mine);
    expect(await registry.get("fx/r")).toBe(mine);
    expect((await registry.list()).find((b) => b.name === "fx/r")?.source).toBe("registered");
  });

  it("rejects registering something that is not a definition, or a newer contract", () => {
    const registry = new Registry({ discover: false });
    expect(() => registry.register({ name: "x" } as never)).toThrow(expect.objectContaining({ code: "ERR_THEMIS_INVALID_DEFINITION" }));
    const future = {
      ...defineStorageBackend({ name: "future", configSchema: z.strictObject({}), create: () => memoryBackend.create({ namespace: "f" }) }),
      contractVersion: 99,
    };
    expect(() => registry.register(future)).toThrow(expect.objectContaining({ code: "ERR_THEMIS_INCOMPATIBLE_CONTRACT" }));
  });

  it("accepts a definition object directly in Project.create", async () => {
    const project = await Project.create("direct", memoryBackend, { namespace: "direct" });
    expect(project.storage.name).toBe("memory");
    await project.close();
  });
});
