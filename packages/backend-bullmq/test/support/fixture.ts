// A module for the tests' module jobs, written to a fresh folder (plain ESM JavaScript).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export const FIXTURE_SOURCE = `
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export async function work(input) {
  if (input.log) appendFileSync(input.log, input.n + "\\n");
  if (input.delayMs) await sleep(input.delayMs);
  return { n: input.n * 2 };
}
export function big(input) { return "x".repeat(input.bytes); }
export function version() { return "v1"; }
// Fails (retryable) until it has been called input.failures times for input.counter.
export function flaky(input) {
  const calls = (existsSync(input.counter) ? Number(readFileSync(input.counter, "utf8")) : 0) + 1;
  writeFileSync(input.counter, String(calls));
  if (calls <= input.failures) throw Object.assign(new Error("transient " + calls), { code: "E_TRANSIENT", retryable: true });
  return calls;
}
`;

/** A folder holding fixture.mjs; `remove()` deletes it. */
export function writeFixture(source = FIXTURE_SOURCE): { dir: string; file: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), "themis-bullmq-fixture-"));
  const file = path.join(dir, "fixture.mjs");
  writeFileSync(file, source);
  return { dir, file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
