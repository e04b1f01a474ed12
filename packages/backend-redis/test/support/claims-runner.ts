// One runner of a shared experiment, for claims-break.test.ts, run with `node claims-runner.ts`
// (the built backend and core, as a user's process would load them). Job in env
// THEMIS_CLAIMS_JOB (JSON): url, keyPrefix, marker, tag, heartbeatMs, delayMs, concurrency.
// It appends "run <tag> <run id>" to the marker file when its run starts and "row <tag> <row id>"
// each time it starts a row, prints "ready" once its project is open, waits for the file
// "<marker>.go" (so that runners started together claim at once), then prints its summary as JSON.
import { appendFileSync, existsSync } from "node:fs";
import { setTimeout as delay } from "node:timers/promises";
import { Project, parseBackendConfig } from "@themis/core";
import { redisBackend } from "@themis/backend-redis";

interface Job {
  url: string;
  keyPrefix: string;
  marker: string;
  tag: string;
  heartbeatMs: number;
  delayMs: number;
  concurrency: number;
}

const job = JSON.parse(process.env.THEMIS_CLAIMS_JOB ?? "{}") as Job;
const storage = await redisBackend.create(parseBackendConfig(redisBackend, { url: job.url, keyPrefix: job.keyPrefix }));
const project = await Project.open("claims", storage);
process.stdout.write("ready\n");
while (!existsSync(`${job.marker}.go`)) await delay(5);
const summary = await project.runExperiment({
  dataset: "qa",
  experiment: "shared",
  taskId: "claims-break",
  resume: true,
  concurrency: job.concurrency,
  heartbeatMs: job.heartbeatMs,
  onEvent: (event) => {
    if (event.type === "run-started") appendFileSync(job.marker, `run ${job.tag} ${event.runId}\n`);
  },
  task: async (row: { n: number; _row_id: string }) => {
    appendFileSync(job.marker, `row ${job.tag} ${row._row_id}\n`);
    await delay(job.delayMs);
    return row.n * 2;
  },
});
process.stdout.write(`${JSON.stringify({ status: summary.status, succeeded: summary.succeeded, skipped: summary.skipped })}\n`);
await project.close();
await storage.close();
