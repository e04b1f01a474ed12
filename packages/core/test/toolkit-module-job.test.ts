import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { importModuleExport, resolveModuleJob } from "@themis/core/backend";

const dir = mkdtempSync(path.join(tmpdir(), "themis-module-job-"));
writeFileSync(path.join(dir, "package.json"), '{"type":"module"}');
writeFileSync(path.join(dir, "task.js"), "export const score = (input) => input.n * 2;\nexport default () => 'd';\n");
writeFileSync(path.join(dir, "broken.js"), "throw new Error('nope at load');\n");

describe("resolveModuleJob", () => {
  it("resolves a relative module from resolveFrom (a folder or a file: URL), with defaults", () => {
    const fromFolder = resolveModuleJob({ kind: "module", module: "./task.js", resolveFrom: dir });
    expect(fromFolder).toEqual({ url: pathToFileURL(path.join(dir, "task.js")).href, file: path.join(dir, "task.js"), exportName: "default", input: null });
    const fromFile = resolveModuleJob({
      kind: "module",
      module: "./task.js",
      resolveFrom: pathToFileURL(path.join(dir, "other.js")).href,
      export: "score",
      input: { n: 1 },
    });
    expect(fromFile).toMatchObject({ file: path.join(dir, "task.js"), exportName: "score", input: { n: 1 } });
  });

  it("fails with NotFoundError for a package that is not installed there", () => {
    expect(() => resolveModuleJob({ kind: "module", module: "no-such-package-themis", resolveFrom: dir }, { backend: "child" })).toThrow(
      expect.objectContaining({ code: "ERR_THEMIS_NOT_FOUND", backend: "child" }),
    );
  });
});

describe("importModuleExport", () => {
  it("returns the export to call", async () => {
    const fn = await importModuleExport(resolveModuleJob({ kind: "module", module: "./task.js", export: "score", resolveFrom: dir }));
    expect(fn({ n: 21 }, {})).toBe(42);
  });

  it("names the exports when the one asked for is missing, and keeps a load failure as cause", async () => {
    await expect(importModuleExport(resolveModuleJob({ kind: "module", module: "./task.js", export: "nope", resolveFrom: dir }))).rejects.toMatchObject({
      code: "ERR_THEMIS_JOB_FAILED",
      message: expect.stringContaining("score"),
    });
    await expect(importModuleExport(resolveModuleJob({ kind: "module", module: "./broken.js", resolveFrom: dir }))).rejects.toMatchObject({
      code: "ERR_THEMIS_JOB_FAILED",
      cause: expect.objectContaining({ message: "nope at load" }),
    });
  });
});
