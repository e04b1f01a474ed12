import { readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/index.js";
import { makeProject } from "./config-helpers.js";

// How a TypeScript user writes the config: ES module syntax, a type-only import, types.
const ESM_TS = `import type { ThemisConfigInput } from "@themis/core";
import { helper } from "./helper.mjs";
const config: ThemisConfigInput = { project: helper("ts"), storage: { type: "memory", namespace: "ts" } };
export default config;
`;
const HELPER = "export const helper = (s) => `from_${s}`;\n";

describe("themis.config.ts in CommonJS and ES module apps", () => {
  it.each([
    ["an ES module app", { type: "module" }],
    ["a CommonJS app (npm init)", { type: "commonjs" }],
    ["an app without a type", {}],
  ])("loads with ES module syntax in %s", async (_name, type) => {
    const dir = makeProject({ "themis.config.ts": ESM_TS, "helper.mjs": HELPER }, { name: "app", version: "1.0.0", ...type });
    const config = await loadConfig({ cwd: dir });
    expect(config?.project).toBe("from_ts");
    expect(config?.storage?.config).toEqual({ namespace: "ts" });
    // The ES module copy is gone again.
    expect(readdirSync(dir).sort()).toEqual(["helper.mjs", "package.json", "themis.config.ts"]);
  });

  it("loads CommonJS syntax in a CommonJS app", async () => {
    const dir = makeProject({}, { name: "app", version: "1.0.0", type: "commonjs" });
    writeFileSync(path.join(dir, "themis.config.ts"), 'const config: { project: string } = { project: "from_cjs" };\nmodule.exports = config;\n');
    expect((await loadConfig({ cwd: dir }))?.project).toBe("from_cjs");
  });

  it("a real syntax error is still reported with the file", async () => {
    const dir = makeProject({ "themis.config.ts": "export default { project: \n" }, { name: "app", version: "1.0.0", type: "commonjs" });
    await expect(loadConfig({ cwd: dir })).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", file: path.join(dir, "themis.config.ts") });
    expect(readdirSync(dir).sort()).toEqual(["package.json", "themis.config.ts"]);
  });
});
