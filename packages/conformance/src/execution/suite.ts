import { describe } from "vitest";
import { basicTests } from "./basics.js";
import { closeTests } from "./close.js";
import { commandTests } from "./commands.js";
import { type ExecutionContext, executionContext } from "./context.js";
import { jobTests } from "./jobs.js";
import { moduleTests } from "./modules.js";
import { EXECUTION_AREAS, type ExecutionArea, type ExecutionSuiteOptions } from "./options.js";
import { orphanTests } from "./orphans.js";
import { timeoutTests } from "./timeouts.js";

const AREA_TESTS: Record<ExecutionArea, (ctx: ExecutionContext) => void> = {
  basics: basicTests,
  jobs: jobTests,
  timeouts: timeoutTests,
  modules: moduleTests,
  commands: commandTests,
  orphans: orphanTests,
  close: closeTests,
};

/**
 * The behaviour every execution backend must show, for each job kind it declares: results
 * and order, error outcomes, per-job timeouts (SIGKILL for what ignores SIGTERM),
 * cancellation, retries decided by error type, backpressure, unsupported kinds rejected
 * before anything runs, module resolution from `resolveFrom`, commands' env / cwd / stdin /
 * exit codes, a clean environment on request, bounded output, no orphan processes, and
 * `close`. `areas` runs a subset (see {@link EXECUTION_AREAS}).
 *
 * ```ts
 * import { parseBackendConfig } from "@themis/core";
 * import { executionSuite } from "@themis/conformance";
 * executionSuite({ name: "docker", create: () => dockerBackend.create(parseBackendConfig(dockerBackend, {})), kinds: ["module", "command"] });
 * ```
 */
export function executionSuite(options: ExecutionSuiteOptions): void {
  const describeSuite = options.skip ? describe.skip : describe;
  const areas = new Set(options.areas ?? EXECUTION_AREAS);
  describeSuite(`execution conformance: ${options.name}${options.skip ? ` (skipped: ${options.skip})` : ""}`, () => {
    const ctx = executionContext(options);
    for (const area of EXECUTION_AREAS) if (areas.has(area)) AREA_TESTS[area](ctx);
  });
}
