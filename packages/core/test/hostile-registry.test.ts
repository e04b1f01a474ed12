import { describe, expect, it } from "vitest";
import { Project, Registry, type Diagnostic } from "../src/index.js";
import { makeApp, memoryBackendModule } from "./fixtures.js";

const storage = (name: string, extra: Record<string, unknown> = {}) => ({ [name]: { kind: "storage", entry: "./index.js", ...extra } });

describe("a plugin whose import never settles", () => {
  it("is a load diagnostic after loadTimeoutMs, not a hang; other backends still work", async () => {
    const app = makeApp("npm", [
      { name: "themis-fx-stuck", themisBackends: storage("fx/stuck"), files: { "index.js": "await new Promise(() => {});\nexport default {};\n" } },
      { name: "themis-fx-fine", themisBackends: storage("fx/fine"), files: { "index.js": memoryBackendModule("fx/fine") } },
    ]);
    const registry = new Registry({ cwd: app, loadTimeoutMs: 300 });
    const listed = await registry.list({ load: true });
    const stuck = listed.find((b) => b.name === "fx/stuck");
    expect(stuck).toMatchObject({ status: "broken", diagnostics: [expect.objectContaining({ phase: "load" })] });
    expect(stuck?.diagnostics[0]?.message).toMatch(/did not finish loading within 300 ms/);
    expect(listed.find((b) => b.name === "fx/fine")?.status).toBe("ok");
    await expect(registry.get("fx/stuck")).rejects.toMatchObject({ code: "ERR_THEMIS_BACKEND_LOAD" });
  });

  it("rejects a load timeout a timer cannot hold", () => {
    expect(() => new Registry({ discover: false, loadTimeoutMs: 3e9 })).toThrow(RangeError);
  });
});

describe("two packages claiming one URI scheme", () => {
  const apps = () =>
    makeApp("npm", [
      {
        name: "themis-fx-owner",
        themisBackends: storage("fx/owner", { schemes: ["fxs"] }),
        files: { "index.js": memoryBackendModule("fx/owner", { schemes: ["fxs"] }) },
      },
      {
        name: "aaa-fx-squatter",
        themisBackends: storage("fx/squatter", { schemes: ["fxs"] }),
        files: { "index.js": memoryBackendModule("fx/squatter", { schemes: ["fxs"] }) },
      },
    ]);

  it("is a duplicate diagnostic for each, and a URI with it is refused instead of captured", async () => {
    const registry = new Registry({ cwd: apps() });
    const clashes = registry.diagnostics().filter((d: Diagnostic) => d.phase === "duplicate");
    expect(clashes.map((d) => d.backend).sort()).toEqual(["fx/owner", "fx/squatter"]);
    expect(clashes[0]?.message).toMatch(/"fxs:\/\/" is claimed by/);
    const listed = await registry.list();
    expect(listed.find((b) => b.name === "fx/owner")?.diagnostics).toHaveLength(1);
    await expect(Project.create("p", "fxs://x", undefined, { registry })).rejects.toMatchObject({ code: "ERR_THEMIS_DUPLICATE_BACKEND" });
    // Each backend stays usable by name.
    const project = await Project.create("p", "fx/owner", { namespace: "scheme-clash" }, { registry });
    await project.close();
  });

  it("the rule's way out: skip one, or register the one you want", async () => {
    const app = apps();
    const skipped = new Registry({ cwd: app, skip: ["fx/squatter"] });
    expect((await skipped.resolve("fxs://x", "storage")).definition.name).toBe("fx/owner");
    const explicit = new Registry({ cwd: app });
    explicit.register(await new Registry({ cwd: app }).get("fx/owner"));
    expect((await explicit.resolve("fxs://x", "storage")).definition.name).toBe("fx/owner");
  });

  it("a clash only visible after loading (schemes not in the manifests) is refused too", async () => {
    const app = makeApp("npm", [
      { name: "themis-fx-o2", themisBackends: storage("fx/o2"), files: { "index.js": memoryBackendModule("fx/o2", { schemes: ["fxt"] }) } },
      { name: "aaa-fx-s2", themisBackends: storage("fx/s2"), files: { "index.js": memoryBackendModule("fx/s2", { schemes: ["fxt"] }) } },
    ]);
    await expect(new Registry({ cwd: app }).resolve("fxt://x", "storage")).rejects.toMatchObject({ code: "ERR_THEMIS_DUPLICATE_BACKEND" });
  });
});

describe("a package named like a built-in backend", () => {
  it("is never used, and a diagnostic says so", async () => {
    const app = makeApp("npm", [{ name: "themis-fx-memory", themisBackends: storage("memory"), files: { "index.js": memoryBackendModule("memory") } }]);
    const registry = new Registry({ cwd: app });
    expect((await registry.get("memory")).description).not.toBe("fixture backend");
    expect(registry.diagnostics()).toEqual([
      expect.objectContaining({ backend: "memory", package: "themis-fx-memory", phase: "duplicate", message: expect.stringMatching(/built-in/) }),
    ]);
  });
});

describe("a URI no installed backend accepts", () => {
  it("is UNKNOWN_BACKEND without its credentials, in the user info or the query", async () => {
    const error = (await new Registry({ discover: false })
      .resolve("nosuch://app:pw-1a2b@h/0?password=Q%5Fsecret&token=t0k", "storage")
      .catch((e: unknown) => e)) as Error;
    expect(error).toMatchObject({ code: "ERR_THEMIS_UNKNOWN_BACKEND" });
    for (const secret of ["pw-1a2b", "Q%5Fsecret", "t0k"])
      expect(JSON.stringify({ message: error.message, requested: (error as { requested?: string }).requested })).not.toContain(secret);
  });
});
