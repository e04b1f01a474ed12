// Many submitters on one experiment: runExperiment processes with resume on the bullmq
// executor and real worker processes split the work (core's row claims), and a submitter
// killed with kill -9 and restarted reattaches to the jobs it had queued (deterministic job
// ids from runExperiment's RunContext.runKey) instead of running them again.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Project, parseBackendConfig } from "@themis/core";
import { redisBackend } from "@themis/backend-redis";
import { afterAll, describe, expect, it } from "vitest";
import { waitFor } from "./support/collect.ts";
import { redisAvailable, redisUrl, testConfig } from "./support/env.ts";
import { writeFixture } from "./support/fixture.ts";
import { type WorkerProcess, startWorkers, stopWorkers } from "./support/workers.ts";

const SCRIPT = fileURLToPath(new URL("./support/submitter-process.mjs", import.meta.url));
const ROWS = 240;

interface Submitter {
  child: ChildProcess;
  done: Promise<{ succeeded: number; failed: number; status: string }>;
}

function startSubmitter(args: object): Submitter {
  const child = spawn(process.execPath, [SCRIPT, JSON.stringify(args)], {
    stdio: ["ignore", "pipe", "pipe"],
    cwd: fileURLToPath(new URL("..", import.meta.url)),
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ succeeded: number; failed: number; status: string }>((resolve, reject) => {
    child.once("exit", (code, signal) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`submitter exited (${code ?? signal}):\n${stderr}`))));
  });
  return { child, done };
}

/** A fresh project with ROWS dataset rows whose task logs each run of a row to `log`. */
async function setup(
  label: string,
): Promise<{ storage: object; executor: object; module: string; log: string; check: () => Promise<void>; close: () => Promise<void> }> {
  const fixture = writeFixture();
  const log = path.join(fixture.dir, "runs.log");
  writeFileSync(log, "");
  const storage = { url: redisUrl, keyPrefix: `themis-test-${label}-${randomBytes(4).toString("hex")}` };
  const backend = await redisBackend.create(parseBackendConfig(redisBackend, storage));
  const project = await Project.create("submitters", backend);
  await (await project.createDataset("rows")).appendMany(Array.from({ length: ROWS }, (_, n) => ({ n, log, delayMs: 5 })));
  return {
    storage,
    executor: testConfig(label),
    module: fixture.file,
    log,
    check: async () => {
      const rows = await (await project.getExperiment("shared")).load();
      expect(rows).toHaveLength(ROWS);
      expect(new Set(rows.map((r) => r.dataset_row_id)).size).toBe(ROWS);
      expect(rows.every((r) => r.status === "ok" && (r.output as { n: number }).n === (r.input as { n: number }).n * 2)).toBe(true);
      // Each row's task ran exactly once, across every submitter and worker.
      const runs = readFileSync(log, "utf8")
        .trim()
        .split("\n")
        .map(Number)
        .sort((a, b) => a - b);
      expect(runs).toEqual(Array.from({ length: ROWS }, (_, n) => n));
    },
    close: async () => {
      await project.close();
      await backend.close();
      fixture.remove();
    },
  };
}

describe.skipIf(!redisAvailable)("bullmq: several runExperiment submitters on one experiment", () => {
  let workers: WorkerProcess[] = [];
  const children: ChildProcess[] = [];
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    await stopWorkers(workers);
  });

  it(`2 submitter processes + 2 workers, ${ROWS} rows: one result per row, each row run once`, async () => {
    const env = await setup("submitters");
    try {
      workers = await startWorkers(env.executor, 2, { concurrency: 4 });
      const submitters = [0, 1].map(() => startSubmitter(env));
      children.push(...submitters.map((s) => s.child));
      const summaries = await Promise.all(submitters.map((s) => s.done));
      expect(summaries.reduce((n, s) => n + s.succeeded, 0)).toBe(ROWS);
      expect(summaries.every((s) => s.status === "completed" && s.failed === 0)).toBe(true);
      await env.check();
    } finally {
      await stopWorkers(workers);
      await env.close();
    }
  }, 300_000);

  it("a submitter killed with kill -9 mid-run, restarted with resume: reattaches to its queued jobs, no row runs twice", async () => {
    const env = await setup("restart");
    try {
      const first = startSubmitter(env);
      children.push(first.child);
      first.done.catch(() => undefined);
      workers = await startWorkers(env.executor, 2, { concurrency: 4 });
      // Kill it once some rows have run: up to 8 of its jobs are queued or running, their
      // results unwritten. The second submitter takes its claims over once they go stale and
      // submits those rows again under the same job ids: without them they would run twice.
      await waitFor(() => readFileSync(env.log, "utf8").split("\n").length > 40, 120_000);
      first.child.kill("SIGKILL");
      await once(first.child, "exit").catch(() => undefined);
      const second = startSubmitter(env);
      children.push(second.child);
      const summary = await second.done;
      expect(summary.status).toBe("completed");
      await env.check();
    } finally {
      await stopWorkers(workers);
      await env.close();
    }
  }, 300_000);
});
