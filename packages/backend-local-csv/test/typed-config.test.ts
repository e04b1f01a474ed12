import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, expectTypeOf, it } from "vitest";
import { type BackendConfigs, type ConfigFor, Project } from "@themis/core";
import type { LocalCsvOptions } from "../src/index.js";

// Type tests: `pnpm typecheck` (tsc over every test) fails when a `@ts-expect-error` below
// has no error, i.e. when a misspelt field or a wrong type would compile again.
// At run time the same calls fail too, with core's typed error.
describe("the local/csv config is typed by backend name", () => {
  const rootDir = mkdtempSync(path.join(tmpdir(), "themis-typed-"));

  it("the package augments core's BackendConfigs", () => {
    expectTypeOf<BackendConfigs["local/csv"]>().toEqualTypeOf<LocalCsvOptions>();
    expectTypeOf<ConfigFor<"local/csv">>().toEqualTypeOf<LocalCsvOptions>();
    expectTypeOf<ConfigFor<"acme/other">>().toEqualTypeOf<Record<string, unknown>>();
  });

  it("a misspelt field is a compile error (and a run-time INVALID_CONFIG)", async () => {
    // @ts-expect-error rootDr is not a local/csv option
    await expect(Project.create("typed", "local/csv", { rootDr: rootDir })).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG" });
  });

  it("a wrong type is a compile error (and a run-time INVALID_CONFIG)", async () => {
    // @ts-expect-error lockTimeoutMs is a number
    await expect(Project.openOrCreate("typed", "local/csv", { rootDir, lockTimeoutMs: "1s" })).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG" });
    // @ts-expect-error rootDir is a string
    await expect(Project.open("typed", "local/csv", { rootDir: 42 })).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG" });
  });

  it("a right config compiles and works; unknown names and URIs take any object", async () => {
    const project = await Project.create("typed", "local/csv", { rootDir, lockTimeoutMs: 5_000 });
    await project.close();
    const spec: string = "local/csv";
    const again = await Project.open("typed", spec, { rootDir });
    await again.close();
    // A third-party name nobody declared: checked at run time only.
    await expect(Project.open("typed", "acme/undeclared", { whatever: 1 })).rejects.toMatchObject({ code: "ERR_THEMIS_UNKNOWN_BACKEND" });
  });
});
