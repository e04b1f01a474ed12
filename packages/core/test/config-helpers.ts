import { copyFileSync, mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { z } from "zod";
import { InvalidConfigFileError, Registry, defineStorageBackend, memoryBackend } from "../src/index.js";

export const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "fixtures", "config");

/** A project root in a temp folder (a package.json ends the config search there) with these files. */
export function makeProject(files: Record<string, string> = {}, packageJson: Record<string, unknown> = { name: "app", version: "1.0.0" }): string {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), "themis-config-")));
  writeFileSync(path.join(dir, "package.json"), JSON.stringify(packageJson));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

/** Copy a static fixture into a folder under another name. */
export function copyFixture(fixture: string, dir: string, as = fixture): string {
  const target = path.join(dir, as);
  mkdirSync(path.dirname(target), { recursive: true });
  copyFileSync(path.join(fixtures, fixture), target);
  return target;
}

/** A storage backend with a secret, a path field and range checks, delegating to memory. */
export const vaultBackend = defineStorageBackend({
  name: "acme/vault",
  description: "fixture storage with a secret",
  schemes: ["vault"],
  configFromUri: (url) => ({ host: url.hostname, ...(url.password ? { password: decodeURIComponent(url.password) } : {}) }),
  configSchema: z.strictObject({
    host: z.string().default("localhost"),
    password: z.string().min(1).meta({ secret: true }).describe("Server password"),
    dataDir: z.string().default("./vault-data").meta({ path: true }).describe("Local cache folder"),
    poolSize: z.number().int().min(1).max(64).default(4),
  }),
  create: (config) => memoryBackend.create({ namespace: `vault-${config.host}` }),
});

/** A backend whose schema message quotes the (secret) input, as careless schemas do. */
export const chattyBackend = defineStorageBackend({
  name: "acme/chatty",
  configSchema: z.strictObject({
    token: z
      .string()
      .refine((v) => v.length >= 12, { error: (issue) => `token "${String(issue.input)}" is shorter than 12 characters` })
      .meta({ secret: true }),
  }),
  create: () => memoryBackend.create({ namespace: "chatty" }),
});

/** A registry with only built-ins and the fixture backends (no discovery). */
export function fixtureRegistry(): Registry {
  return new Registry({ discover: false }).register(vaultBackend).register(chattyBackend);
}

/** The InvalidConfigFileError (ERR_THEMIS_INVALID_CONFIG) `work` fails with; fails the test otherwise. */
export async function configError(work: Promise<unknown>): Promise<InvalidConfigFileError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidConfigFileError);
  expect((error as InvalidConfigFileError).code).toBe("ERR_THEMIS_INVALID_CONFIG");
  return error as InvalidConfigFileError;
}
