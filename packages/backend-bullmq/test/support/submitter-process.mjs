// A submitter process for the tests: runExperiment with resume on the bullmq executor, the
// results in the redis storage backend of the same server. argv[2] (JSON): storage config,
// executor config, module file. Prints the run's summary as JSON on stdout.
import { Project, parseBackendConfig } from "@themis/core";
import { redisBackend } from "@themis/backend-redis";
import { bullmqBackend } from "../../dist/index.js";

const { storage: storageConfig, executor, module } = JSON.parse(process.argv[2]);
const storage = await redisBackend.create(parseBackendConfig(redisBackend, storageConfig));
const project = await Project.open("submitters", storage);
const summary = await project.runExperiment({
  dataset: "rows",
  experiment: "shared",
  resume: true,
  concurrency: 8,
  // Short: the test waits for a killed submitter's claims to go stale.
  heartbeatMs: 500,
  execution: bullmqBackend,
  executionConfig: executor,
  task: { kind: "module", module, export: "work" },
});
process.stdout.write(`${JSON.stringify({ succeeded: summary.succeeded, failed: summary.failed, skipped: summary.skipped, status: summary.status })}\n`);
await project.close();
await storage.close();
