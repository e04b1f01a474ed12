import { execFile } from "node:child_process";
import { readFileSync, readdirSync, existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

// What a newcomer reads and runs at the repository root must agree with what the
// workspace declares: one minimum Node, the pinned pnpm, and a `themis` that is ours.
const root = fileURLToPath(new URL("../../../", import.meta.url));
const run = promisify(execFile);
// biome-ignore lint/suspicious/noExplicitAny: the test reads package.json files loosely
const readJson = (file: string): Record<string, any> => JSON.parse(readFileSync(path.join(root, file), "utf8"));
const readme = readFileSync(path.join(root, "README.md"), "utf8");

function workspacePackageJsons(): string[] {
  const dirs = ["packages", "examples"].flatMap((d) => readdirSync(path.join(root, d)).map((name) => path.join(d, name)));
  return ["package.json", ...dirs.map((d) => path.join(d, "package.json")).filter((f) => existsSync(path.join(root, f)))];
}

describe("one minimum Node version", () => {
  const minimum = readJson("package.json").engines.node as string;

  it("is the root's engines, >= 22.18 (the demo runs .ts files directly)", () => {
    expect(minimum).toMatch(/^>=22\.(1[89]|2\d)$/);
  });

  it("every package that declares engines declares the same", () => {
    const declared = Object.fromEntries(
      workspacePackageJsons()
        .map((f) => [f, readJson(f).engines?.node])
        .filter(([, v]) => v !== undefined),
    );
    expect(Object.keys(declared).length).toBeGreaterThan(8);
    for (const [file, range] of Object.entries(declared)) expect({ file, range }).toEqual({ file, range: minimum });
  });

  it("the README states it, and .ci/run reads it from package.json instead of repeating it", () => {
    expect(readme).toContain(`Node.js ≥ ${minimum.slice(2)}`);
    expect(readme).not.toMatch(/Node(\.js)? ?(≥|>=) ?22\.(?!18)\d+/);
    const ci = readFileSync(path.join(root, ".ci/run"), "utf8");
    expect(ci).toMatch(/engines/);
    expect(ci).not.toMatch(/22\.1\d/);
  });
});

describe("the README's setup", () => {
  it("installs into a user prefix (no EEXIST on /usr/bin/node) exactly the pnpm packageManager pins", () => {
    const pinned = (readJson("package.json").packageManager as string).replace(/^pnpm@/, "");
    const hint = readme.split("\n").find((l) => l.startsWith("npm install -g"));
    expect(hint).toBe(`npm install -g --prefix ~/.local node@24 pnpm@${pinned}`);
    expect(readme).toContain('export PATH="$HOME/.local/bin:$PATH"');
  });

  it("a newer pnpm 11 warns instead of downloading the pinned one", () => {
    expect(readFileSync(path.join(root, "pnpm-workspace.yaml"), "utf8")).toMatch(/^pmOnFail: warn$/m);
  });
});

describe("themis at the repository root", () => {
  it("runs our CLI (a root script), which lists every backend of the workspace", async () => {
    expect(readJson("package.json").scripts.themis).toBe("themis");
    const bin = path.join(root, "node_modules", ".bin", "themis");
    const { stdout } = await run(bin, ["backends", "list", "--json"], { cwd: root });
    const listed = (JSON.parse(stdout) as { backends: { name: string; package?: string; status: string }[] }).backends;
    const declared = workspacePackageJsons().flatMap((f) =>
      Object.keys(readJson(f).themisBackends ?? {}).map((name) => ({ name, package: readJson(f).name as string })),
    );
    expect(declared.length).toBeGreaterThan(5);
    for (const backend of declared) expect(listed).toContainEqual(expect.objectContaining({ ...backend, status: "ok" }));
  }, 60_000);
});
