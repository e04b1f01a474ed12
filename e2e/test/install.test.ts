import { readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { NpmApp } from "../npm-app.ts";
import { repoRoot } from "../../scripts/workspace-packages.ts";

// A user's journey, from the packed tarballs, in an empty folder outside the workspace:
// install core + one backend and use it; add the CLI and list what is installed; add a
// third-party backend and use it with zero configuration. The tests build on each other.
const { work, packages } = inject("e2e");

const tarballOf = (name: string): string => {
  const found = packages.find((p) => p.name === name);
  if (!found) throw new Error(`${name} was not packed: is it in the workspace and public?`);
  return found.tarball;
};

/** The packages the user installs by name; every other package of ours can only arrive as a dependency. */
const INSTALLED_BY_USER = ["@themis/core", "@themis/backend-local-csv", "@themis/cli", "themis-backend-jsonl"];

/** A backend as the registry lists it (core's BackendInfo, the fields checked here). */
interface ListedBackend {
  name: string;
  kind: string;
  source: string;
  package?: string;
  status: string;
}

/** The registry's view, through core's public API only: every backend, and the problems found. */
const LIST_BACKENDS = `
import { Registry } from "@themis/core";
const registry = new Registry();
const backends = await registry.list({ load: true });
console.log(JSON.stringify({
  backends: backends.map(({ name, kind, source, package: pkg, status }) => ({ name, kind, source, package: pkg, status })),
  diagnostics: registry.diagnostics().map((d) => d.message),
}));
`;

/** Create a project on `backend` with no config at all, write, update, reopen and read back. */
const useBackend = (backend: string): string => `
import { Project } from "@themis/core";
const project = await Project.create("e2e", ${JSON.stringify(backend)});
const qa = await project.createDataset("qa");
const ids = await qa.appendMany([
  { question: "2+2?", answer: "4" },
  { question: "1", answer: 1, tags: ["a", "b"], nested: { ok: true, none: null } },
]);
await qa.update(ids[0], { question: "2+2?", answer: "four" });
await project.close();
const again = await Project.open("e2e", ${JSON.stringify(backend)});
const rows = await (await again.getDataset("qa")).load();
await again.close();
console.log(JSON.stringify({ ids, rows }));
`;

interface UseResult {
  ids: string[];
  rows: Record<string, unknown>[];
}

const expectedRows = (ids: string[]): Record<string, unknown>[] => [
  { _row_id: ids[0], question: "2+2?", answer: "four" },
  { _row_id: ids[1], question: "1", answer: 1, tags: ["a", "b"], nested: { ok: true, none: null } },
];

/** The backends `themis backends list --json` printed: an array of entries, or an object holding one. */
function listedByCli(stdout: string): ListedBackend[] {
  const parsed = JSON.parse(stdout) as ListedBackend[] | { backends: ListedBackend[] };
  return Array.isArray(parsed) ? parsed : parsed.backends;
}

const discovered = (list: readonly ListedBackend[]): string[] =>
  list
    .filter((b) => b.source === "discovered")
    .map((b) => b.name)
    .sort();

describe("installed from tarballs with npm, as a user would", () => {
  let app: NpmApp;

  beforeAll(async () => {
    // Our packages that only come as dependencies (e.g. @themis/csv-codec) come from their
    // tarballs too: this build is not on the registry.
    const overrides = Object.fromEntries(packages.filter((p) => !INSTALLED_BY_USER.includes(p.name)).map((p) => [p.name, p.tarball]));
    app = await NpmApp.create(work, overrides);
  });

  it("core + local-csv alone: Project.create('e2e', 'local/csv') writes and reads rows", async () => {
    await app.install(tarballOf("@themis/core"), tarballOf("@themis/backend-local-csv"));
    // No other backend came along, and nothing of ours was fetched from the registry.
    const ours = readdirSync(path.join(app.dir, "node_modules", "@themis")).sort();
    expect(ours.filter((name) => name.startsWith("backend-"))).toEqual(["backend-local-csv"]);
    const lock = JSON.parse(readFileSync(path.join(app.dir, "package-lock.json"), "utf8")) as { packages: Record<string, { resolved?: string }> };
    for (const [where, entry] of Object.entries(lock.packages)) {
      if (where.includes("node_modules/@themis/")) expect(entry.resolved, where).toMatch(/^file:.*\.tgz$/);
    }

    const used = await app.runScript<UseResult>("use-local-csv", useBackend("local/csv"));
    expect(used.rows).toEqual(expectedRows(used.ids));

    const { backends, diagnostics } = await app.runScript<{ backends: ListedBackend[]; diagnostics: string[] }>("list-backends", LIST_BACKENDS);
    expect(discovered(backends)).toEqual(["local/csv"]);
    expect(backends.find((b) => b.name === "local/csv")).toMatchObject({ kind: "storage", package: "@themis/backend-local-csv", status: "ok" });
    expect(diagnostics).toEqual([]);
  });

  it("the README quickstarts (root and @themis/core) run as written", async () => {
    // The first TypeScript block of each README, run as an ES module in the user's app: it
    // must need nothing but core + local-csv, and print or store what it says.
    const firstTsBlock = (readme: string): string => {
      const match = /```ts\n([\s\S]*?)```/.exec(readFileSync(path.join(repoRoot, readme), "utf8"));
      if (!match) throw new Error(`${readme} has no \`\`\`ts block`);
      return match[1]!;
    };
    for (const readme of ["README.md", "packages/core/README.md"]) {
      rmSync(path.join(app.dir, "data"), { recursive: true, force: true }); // Both create "my_project".
      const script = `${firstTsBlock(readme)}\nconsole.log(JSON.stringify({ ok: true }));\n`;
      const result = await app.runScript<{ ok: boolean }>(`readme-${readme.replace(/\W+/g, "-")}`, script);
      expect(result, readme).toEqual({ ok: true });
      const csv = readFileSync(path.join(app.dir, "data", "my_project", "datasets", "qa.csv"), "utf8");
      expect(csv.split("\n")[0], readme).toMatch(/^_row_id,question,answer/);
      expect(csv, readme).toContain("2+2?");
    }
  });

  it("+ cli: `npx themis backends list --json` shows exactly the installed backends", async () => {
    await app.install(tarballOf("@themis/cli"));
    const cli = await app.npx("themis", "backends", "list", "--json");
    expect(cli.code, cli.stderr).toBe(0);
    const listed = listedByCli(cli.stdout);
    expect(discovered(listed)).toEqual(["local/csv"]);
    // The same set the registry itself sees: built-ins plus what is installed, nothing hard-coded.
    const { backends } = await app.runScript<{ backends: ListedBackend[] }>("list-backends", LIST_BACKENDS);
    expect(listed.map((b) => b.name).sort()).toEqual(backends.map((b) => b.name).sort());
  });

  it("+ a third-party backend: discovered with zero configuration and usable by name", async () => {
    await app.install(tarballOf("themis-backend-jsonl"));
    const { backends, diagnostics } = await app.runScript<{ backends: ListedBackend[]; diagnostics: string[] }>("list-backends", LIST_BACKENDS);
    expect(discovered(backends)).toEqual(["jsonl", "local/csv"]);
    expect(backends.find((b) => b.name === "jsonl")).toMatchObject({ kind: "storage", package: "themis-backend-jsonl", status: "ok" });
    expect(diagnostics).toEqual([]);

    const used = await app.runScript<UseResult>("use-jsonl", useBackend("jsonl"));
    expect(used.rows).toEqual(expectedRows(used.ids));
  });

  it("+ a third-party backend: `npx themis backends list --json` shows it beside local/csv", async () => {
    const cli = await app.npx("themis", "backends", "list", "--json");
    expect(cli.code, cli.stderr).toBe(0);
    const listed = listedByCli(cli.stdout);
    expect(discovered(listed)).toEqual(["jsonl", "local/csv"]);
    expect(listed.find((b) => b.name === "jsonl")).toMatchObject({ kind: "storage" });
  });
});
