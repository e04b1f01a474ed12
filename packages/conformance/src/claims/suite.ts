import { describe } from "vitest";
import { appendedTests } from "./appended.js";
import { type ClaimsContext, claimsContext } from "./context.js";
import { frozenTests } from "./frozen.js";
import { killedTests } from "./killed.js";
import { CLAIMS_AREAS, type ClaimsArea, type ClaimsSuiteOptions, resolveClaimsOptions } from "./options.js";
import { skewedTests } from "./skewed.js";
import { smallTests } from "./small.js";

const AREA_TESTS: Record<ClaimsArea, (ctx: ClaimsContext) => void> = {
  frozen: frozenTests,
  killed: killedTests,
  small: smallTests,
  appended: appendedTests,
  skewed: skewedTests,
};

/**
 * Register the "claims across processes" suite with vitest: `runExperiment`'s block claims
 * (runners claim blocks of 64 dataset rows, beat a heartbeat, take over stale runners'
 * blocks) must keep exactly one ok result per row, and run a row twice only when its holder
 * died before storing its result, while real runner processes share one experiment on the
 * backend under test and are killed (SIGKILL), frozen past staleness (SIGSTOP/SIGCONT),
 * started together on datasets of about one block, joined by rows appended mid-run, and
 * run with wall clocks minutes off (alive, then one killed).
 * Each runner is a `node` child process that imports the backend as a user's process would
 * (`module` + `exportName`) and builds it from each test's `store(label).config`; the suite
 * checks the stored results through `definition` in this process. POSIX signals: Linux and
 * macOS only. `areas` runs a subset (see {@link CLAIMS_AREAS}).
 *
 * ```ts
 * import { claimsSuite } from "@themis/conformance";
 * import { myBackend } from "../src/index.js";
 *
 * claimsSuite({
 *   name: "my/backend",
 *   module: new URL("../dist/index.js", import.meta.url).href,
 *   exportName: "myBackend",
 *   definition: myBackend,
 *   // A new, empty store per test (freshDir and removeDir: your helpers).
 *   store: (label) => {
 *     const dir = freshDir(label);
 *     return { config: { dir }, cleanup: () => removeDir(dir) };
 *   },
 * });
 * ```
 */
export function claimsSuite(options: ClaimsSuiteOptions): void {
  const block = options.skip ? describe.skip : describe;
  const title = `claims conformance: ${options.name}${options.skip ? ` (skipped: ${options.skip})` : ""}`;
  const resolved = resolveClaimsOptions(options);
  const areas = new Set(resolved.areas);
  block(title, () => {
    const ctx = claimsContext(resolved);
    for (const area of CLAIMS_AREAS) if (areas.has(area)) AREA_TESTS[area](ctx);
  });
}
