import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Registry } from "@themis/core";
import { boxConfig } from "./helpers.js";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

describe("discovery", () => {
  it("is found by core's registry from an app that depends on the package, and creates a working backend", async () => {
    const app = realpathSync(mkdtempSync(path.join(tmpdir(), "themis-box-app-")));
    writeFileSync(
      path.join(app, "package.json"),
      JSON.stringify({ name: "app", version: "1.0.0", type: "module", dependencies: { "@themis/backend-box": "*" } }),
    );
    mkdirSync(path.join(app, "node_modules", "@themis"), { recursive: true });
    symlinkSync(packageDir, path.join(app, "node_modules", "@themis", "backend-box"), "dir");
    const registry = new Registry({ cwd: app });
    const listed = await registry.list();
    expect(listed.find((b) => b.name === "box/csv")).toMatchObject({ kind: "storage" });
    const storage = await registry.create("storage", "box/csv", { ...boxConfig() });
    expect(storage.name).toBe("box/csv");
    expect(Array.isArray(await storage.listProjects())).toBe(true);
    await storage.close();
  });

  it('accepts "box://<root folder id>" URIs', async () => {
    const registry = new Registry({ discover: false }).register((await import("../src/index.js")).boxBackend);
    const storage = await registry.create("storage", "box://0", { ...boxConfig() });
    expect((storage as { rootFolderId?: string }).rootFolderId).toBe("0");
    await storage.close();
    await expect(registry.create("storage", "box://abc", { ...boxConfig() })).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG" });
  });
});
