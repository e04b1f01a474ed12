// One of several runners of one experiment (run by run-claims.test.ts): runExperiment with
// resume over the shared dataset. argv: url, keyPrefix, project, marker file. Each row it
// runs is appended to the marker file, so the parent can check that no row ran twice.
import { appendFileSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import { Project, parseBackendConfig } from "@themis/core";
import { redisBackend } from "../../src/index.js";

const [url, keyPrefix, projectName, marker] = process.argv.slice(2);
const storage = await redisBackend.create(parseBackendConfig(redisBackend, { url, keyPrefix }));
const project = await Project.open(projectName!, storage);
const summary = await project.runExperiment({
  dataset: "qa",
  experiment: "shared",
  taskId: "claims-test",
  resume: true,
  concurrency: 4,
  task: async (row: { n: number; _row_id: string }) => {
    appendFileSync(marker!, `${row._row_id}\n`);
    await delay(2);
    return row.n * 2;
  },
});
process.stdout.write(JSON.stringify({ succeeded: summary.succeeded, skipped: summary.skipped }));
await project.close();
await storage.close();
