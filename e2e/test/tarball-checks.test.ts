import { describe, expect, it } from "vitest";
import { tarballProblems } from "../../scripts/check-tarball.ts";
import type { TarballContents } from "../../scripts/inspect-tarball.ts";

// The tarball checks must catch what they claim to: each broken package below has to be
// reported, and a well-formed one must pass, or the packages.test.ts results mean nothing.

const goodManifest = {
  name: "@themis/backend-fake",
  version: "1.0.0",
  description: "A fake backend",
  license: "MIT",
  repository: { type: "git", url: "git+https://example.invalid/x.git", directory: "packages/backend-fake" },
  keywords: ["themis"],
  type: "module",
  sideEffects: false,
  engines: { node: ">=22.12" },
  files: ["dist", "src"],
  exports: { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" }, "./package.json": "./package.json" },
  publishConfig: { access: "public" },
  themisBackends: { fake: { kind: "storage", entry: "./dist/index.js" } },
  peerDependencies: { "@themis/core": "^1.0.0" },
  dependencies: { "@themis/csv-codec": "^1.0.0" },
};

const goodFiles: Record<string, string> = {
  "package.json": "",
  "README.md": "# fake",
  "dist/index.js": "export {};",
  "dist/index.d.ts": "export {};",
  "dist/index.js.map": JSON.stringify({ version: 3, sources: ["../src/index.ts"], mappings: "" }),
  "src/index.ts": "export {};",
};

function tarball(manifest: Record<string, unknown>, files: Record<string, string> = goodFiles): TarballContents {
  const all: Record<string, string> = { ...files, "package.json": JSON.stringify(manifest) };
  return {
    files: Object.keys(all).sort(),
    manifest: manifest as TarballContents["manifest"],
    dir: "/nowhere",
    read: (file) => {
      const text = all[file];
      if (text === undefined) throw new Error(`no ${file}`);
      return text;
    },
  };
}

const internal = new Map([
  ["@themis/core", true],
  ["@themis/csv-codec", true],
  ["@themis/secret-helper", false],
]);

const problemsOf = (manifest: Record<string, unknown>, files?: Record<string, string>, published = true): string[] =>
  tarballProblems(tarball(manifest, files), published, internal);

describe("tarball checks", () => {
  it("pass a well-formed backend package", () => {
    expect(problemsOf(goodManifest)).toEqual([]);
  });

  it.each([
    ["a test file", { "dist/index.test.js": "" }],
    ["a test folder", { "test/helpers.js": "" }],
    ["a vitest config", { "vitest.config.ts": "" }],
    ["another package's file", { "node_modules/x/index.js": "" }],
    ["a build leftover", { "dist/.tsbuildinfo": "" }],
    ["a source map pointing outside the package", { "dist/other.js.map": JSON.stringify({ sources: ["../../core/src/index.ts"] }) }],
    ["a source map pointing at a missing source", { "dist/gone.js.map": JSON.stringify({ sources: ["../src/gone.ts"] }) }],
  ])("report %s", (_what, extra) => {
    expect(problemsOf(goodManifest, { ...goodFiles, ...extra })).toHaveLength(1);
  });

  it("report a missing README", () => {
    const { "README.md": _readme, ...files } = goodFiles;
    expect(problemsOf(goodManifest, files)).toHaveLength(1);
  });

  it.each([
    ["a workspace: range", { dependencies: { "@themis/csv-codec": "workspace:^" } }],
    ["a dependency on a private workspace package", { dependencies: { "@themis/secret-helper": "^1.0.0" } }],
    ["no keywords", { keywords: [] }],
    ["CommonJS", { type: "commonjs" }],
    ["no sideEffects", { sideEffects: undefined }],
    ["no engines", { engines: undefined }],
    ["no files allow-list", { files: undefined }],
    ["no repository directory", { repository: { url: "git+https://example.invalid/x.git" } }],
    ["types not first in exports", { exports: { ".": { default: "./dist/index.js", types: "./dist/index.d.ts" }, "./package.json": "./package.json" } }],
    ["package.json not exported", { exports: { ".": { types: "./dist/index.d.ts", default: "./dist/index.js" } } }],
    [
      "an export pointing at a missing file",
      { exports: { ".": { types: "./dist/index.d.ts", default: "./dist/main.js" }, "./package.json": "./package.json" } },
    ],
    ["no public access for a scoped package", { publishConfig: undefined }],
    ["a backend entry that is not in the tarball", { themisBackends: { fake: { kind: "storage", entry: "./dist/missing.js" } } }],
    ["core as a regular dependency", { dependencies: { "@themis/core": "^1.0.0" } }],
    ["core as a peer without ^", { peerDependencies: { "@themis/core": "1.0.0" } }],
    ["a bin file that is missing", { bin: { fake: "./dist/cli.js" } }],
    ["a bin file without #!", { bin: { fake: "./dist/index.js" } }],
  ])("report %s", (_what, change) => {
    expect(problemsOf({ ...goodManifest, ...change }).length).toBeGreaterThan(0);
  });

  it("do not require publish-only fields of a package that is never published", () => {
    expect(problemsOf({ ...goodManifest, private: true, publishConfig: undefined }, goodFiles, false)).toEqual([]);
  });
});
