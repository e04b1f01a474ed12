import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const cliDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const packagesDir = path.resolve(cliDir, "..");
/** The built CLI, run as users run it. */
export const BIN = path.join(cliDir, "dist", "bin.js");
export const LOCAL_CSV_BUILT = existsSync(path.join(packagesDir, "backend-local-csv", "dist", "index.js"));

/** What a CLI run printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `themis ...args` in `cwd` as a subprocess. */
export function themis(cwd: string, args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `themis ... --json`, stdout parsed. */
// biome-ignore lint/suspicious/noExplicitAny: tests read the JSON output loosely
export async function themisJson<T = any>(cwd: string, args: readonly string[], env?: Record<string, string>): Promise<CliResult & { json: T }> {
  const result = await themis(cwd, [...args, "--json"], env);
  let json: T;
  try {
    json = JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return { ...result, json };
}

function link(target: string, at: string): void {
  mkdirSync(path.dirname(at), { recursive: true });
  symlinkSync(target, at, "dir");
}

// A third-party execution backend with ROMPY-like options (timeout 60-86400 s, cpu 1-128,
// memory strings, volume specs) and a secret token.
const RUNNER = `
import { defineExecutionBackend } from "@themis/core";
import { z } from "zod";
export default defineExecutionBackend({
  name: "acme/runner",
  description: "fixture executor with container-like limits",
  configSchema: z.strictObject({
    image: z.string().min(1).describe("Container image to run jobs in"),
    timeout: z.number().int().min(60).max(86400).default(3600).describe("Seconds a job may run"),
    cpu: z.number().int().min(1).max(128).default(1).describe("CPUs per job"),
    memory: z.string().regex(/^[1-9][0-9]*(\\.[0-9]+)?[kmg]?$/i, "expected a memory size such as 512m or 2g").default("1g"),
    volumes: z.array(z.string().regex(/^[^:]+:\\/[^:]*(:(ro|rw))?$/, 'expected "host:/container[:ro|rw]"')).default([]),
    mode: z.enum(["safe", "fast"]).default("safe"),
    token: z.string().optional().meta({ secret: true }).describe("Registry token"),
  }),
  create: (config) => ({
    name: "acme/runner",
    kinds: ["function"],
    async run(job) {
      if (config.image === "broken") throw new Error("cannot pull image with token " + config.token);
      return { ok: true, value: await job.fn(job.input, { signal: new AbortController().signal, attempt: 1, index: 0 }), durationMs: 0, attempts: 1 };
    },
    async close() {},
  }),
});
`;

// A third-party storage backend with a secret password; "unreachable" hosts fail the way a
// careless client library does: with the password in the message.
const VAULT = `
import { defineStorageBackend, memoryBackend, UnavailableError } from "@themis/core";
import { z } from "zod";
export default defineStorageBackend({
  name: "acme/vault",
  description: "fixture storage with a password",
  schemes: ["vault"],
  configFromUri: (url) => ({ host: url.hostname, ...(url.password ? { password: decodeURIComponent(url.password) } : {}) }),
  configSchema: z.strictObject({
    host: z.string().default("localhost"),
    password: z.string().min(1).meta({ secret: true }).describe("Server password"),
    poolSize: z.number().int().min(1).max(64).default(4),
  }),
  create: (config) => {
    const inner = memoryBackend.create({ namespace: "vault-" + config.host });
    if (config.host !== "unreachable") return inner;
    return { ...inner, name: "acme/vault", listProjects: async () => { throw new UnavailableError("connect ECONNREFUSED vault://admin:" + config.password + "@unreachable", { backend: "acme/vault" }); }, close: async () => {} };
  },
});
`;

/** The fixture packages an app can install. */
export type FixtureName = "acme-runner" | "acme-vault" | "acme-broken" | "local-csv";

/**
 * A user's project in a temp folder: a package.json depending on the given packages, laid
 * out as npm would (symlinks into this workspace for @themis packages), plus `files`.
 */
export function makeApp(packages: readonly FixtureName[], files: Record<string, string> = {}): string {
  const app = realpathSync(mkdtempSync(path.join(tmpdir(), "themis-cli-")));
  const deps: Record<string, string> = {};
  link(path.join(packagesDir, "core"), path.join(app, "node_modules", "@themis", "core"));
  link(realpathSync(path.join(packagesDir, "core", "node_modules", "zod")), path.join(app, "node_modules", "zod"));
  const fixture = (name: string, backends: Record<string, unknown>, source: string): void => {
    const dir = path.join(app, "node_modules", name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      path.join(dir, "package.json"),
      JSON.stringify({ name, version: "1.2.3", type: "module", exports: { ".": "./index.js", "./package.json": "./package.json" }, themisBackends: backends }),
    );
    writeFileSync(path.join(dir, "index.js"), source);
    deps[name] = "1.2.3";
  };
  for (const p of packages) {
    if (p === "acme-runner") fixture(p, { "acme/runner": { kind: "execution", entry: "./index.js" } }, RUNNER);
    if (p === "acme-vault") fixture(p, { "acme/vault": { kind: "storage", entry: "./index.js", schemes: ["vault"] } }, VAULT);
    if (p === "acme-broken") fixture(p, { "acme/broken": { kind: "storage", entry: "./index.js" } }, 'throw new Error("acme-broken fails to load");\n');
    if (p === "local-csv") {
      link(path.join(packagesDir, "backend-local-csv"), path.join(app, "node_modules", "@themis", "backend-local-csv"));
      deps["@themis/backend-local-csv"] = "*";
    }
  }
  writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "user-app", version: "1.0.0", type: "module", dependencies: deps }, null, 2));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(app, file)), { recursive: true });
    writeFileSync(path.join(app, file), text);
  }
  return app;
}
