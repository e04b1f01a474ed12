// runExperiment hands executors a RunContext.runKey that is stable across runners of one
// experiment and resume key (so a queueing executor can reattach to jobs by id), and that
// changes where the work is meant to run again.
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { Project, type RunContext, defineExecutionBackend } from "../dist/index.js";

/** An executor that runs function jobs in process and records each job's runKey by row. */
function recordingExecutor(keys: Map<number, string | undefined>, failRow?: number) {
  return defineExecutionBackend({
    name: "acme/recording",
    configSchema: z.object({}),
    create: () => ({
      name: "acme/recording",
      kinds: ["function"],
      // biome-ignore lint/suspicious/noExplicitAny: the smallest executor that runs a function job
      run: async (job: any, context: RunContext) => {
        keys.set(job.input.n, context.runKey);
        if (job.input.n === failRow) return { ok: false, error: { name: "Error", message: "planted failure", code: "E_PLANTED", retryable: false } };
        return { ok: true, value: await job.fn(job.input, {}) };
      },
      close: async () => undefined,
    }),
  });
}

describe("runExperiment: RunContext.runKey", () => {
  it("is the same for a resumed run, differs per experiment, and changes for a row whose result was an error", async () => {
    const project = await Project.create(`p${randomUUID().slice(0, 8)}`, "memory", { namespace: `run-key-${randomUUID()}` });
    await (await project.createDataset("qa")).appendMany(Array.from({ length: 4 }, (_, n) => ({ n })));
    const first = new Map<number, string | undefined>();
    const task = async (row: { n: number }) => row.n;
    await project.runExperiment({ dataset: "qa", experiment: "a", task, taskId: "t", execution: recordingExecutor(first, 2), failFast: 0 });
    const keys = new Set(first.values());
    expect(keys.size).toBe(1);
    const [key] = keys;
    expect(key).toMatch(/^[A-Za-z0-9_.-]{1,200}$/);

    // Resume: only the failed row runs again, under a key of its own (not the failed job's).
    const resumed = new Map<number, string | undefined>();
    await project.runExperiment({ dataset: "qa", experiment: "a", task, taskId: "t", execution: recordingExecutor(resumed), resume: true });
    expect([...resumed.keys()]).toEqual([2]);
    expect(resumed.get(2)).toMatch(new RegExp(`^${key!.replace(/[.]/g, "\\.")}\\.`));

    // Another experiment: another key.
    const other = new Map<number, string | undefined>();
    await project.runExperiment({ dataset: "qa", experiment: "b", task, taskId: "t", execution: recordingExecutor(other) });
    expect(new Set(other.values()).size).toBe(1);
    expect(other.get(0)).not.toBe(key);
    await project.close();
  });
});
