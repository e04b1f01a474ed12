import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";

/** The fixture module every module-kind test calls. Plain JavaScript: it must load anywhere. */
const FIXTURE_MODULE = `
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export async function double(input) {
  if (input.delayMs) await sleep(input.delayMs);
  return { n: input.n * 2 };
}
export default async function (input) { return input; }
export async function doubleOrFail(input) {
  if (input.n === 1) {
    const error = new Error("fixture failure");
    error.code = "E_FIXTURE";
    throw error;
  }
  return { n: input.n * 2 };
}
export async function fail(input) {
  const error = new Error("fixture failure " + input.n);
  error.code = "E_FIXTURE";
  throw error;
}
export async function failRetryable() {
  const error = new Error("transient");
  error.code = "E_TRANSIENT";
  error.retryable = true;
  throw error;
}
export async function sleepLong() { await sleep(600000); return "woke"; }
export function spin() { for (;;) {} }
export function context(_input, context) { return { attempt: context.attempt, index: context.index }; }
export function big(input) { return "x".repeat(input.bytes); }
export function whoAmI() { return "fixture module"; }
`;

/** Name of the fixture package, found only from the fixture directory's node_modules. */
export const FIXTURE_PACKAGE = "themis-conformance-fixture";

/**
 * Write the fixtures into `dir`: `fixture.mjs` (the module above) and a package under
 * `node_modules/` whose "exports" map points its "./who" subpath at `lib/who.mjs`, so
 * that resolving it needs Node's package rules from the right directory.
 *
 * @returns the host path of `fixture.mjs`.
 */
export async function writeFixtures(dir: string): Promise<string> {
  const file = path.join(dir, "fixture.mjs");
  await writeFile(file, FIXTURE_MODULE);
  const pkg = path.join(dir, "node_modules", FIXTURE_PACKAGE);
  await mkdir(path.join(pkg, "lib"), { recursive: true });
  await writeFile(path.join(pkg, "package.json"), JSON.stringify({ name: FIXTURE_PACKAGE, type: "module", exports: { "./who": "./lib/who.mjs" } }));
  await writeFile(path.join(pkg, "lib", "who.mjs"), 'export function whoAmI() { return "fixture package"; }\n');
  // Marks the directory as a package root, so executors that ship a module's package
  // folder somewhere (a container) take the whole fixture directory with it.
  await writeFile(path.join(dir, "package.json"), JSON.stringify({ name: "themis-conformance-fixtures", private: true, type: "module" }));
  return file;
}
