// The execution conformance suite (module and command jobs) against a real redis-server,
// with two worker processes on this host (so the suite can check their pids for orphans).
import { executionSuite } from "@themis/conformance";
import { afterAll } from "vitest";
import { createExecutor, redisAvailable, testConfig } from "./support/env.ts";
import { type WorkerProcess, startWorkers, stopWorkers } from "./support/workers.ts";

const config = testConfig("conformance");
let workers: WorkerProcess[] = [];
afterAll(() => stopWorkers(workers));

executionSuite({
  name: "bullmq",
  kinds: ["module", "command"],
  skip: redisAvailable ? false : "no redis-server (see the warning above)",
  create: async () => {
    // The suite's environment canary, where commands run: in the workers. inheritEnv: false
    // must keep it out; an inheriting job must see it (the suite's control).
    workers = await startWorkers(config, 2, { concurrency: 4, env: { THEMIS_SUITE_PARENT: "leaked" } });
    return createExecutor(config);
  },
  capabilities: {
    // The workers are processes of this host: the suite checks that the pids a command
    // printed are gone once its outcome is out.
    hostProcesses: true,
    // A job crosses Redis twice (queue, result) and a busy 2-core box delays both.
    startupMs: 3000,
  },
  timeout: 90_000,
});
