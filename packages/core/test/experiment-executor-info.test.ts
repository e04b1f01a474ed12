// The executor's optional describe(): its facts land in the run record's provenance
// (`executorInfo`), and a describe that throws, hangs or answers nonsense never fails a run.
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  type ExecutionBackend,
  type ExecutorDescription,
  type Job,
  type JobResult,
  Project,
  type RunContext,
  defineExecutionBackend,
  getRun,
} from "../dist/index.js";
import { RUNS_TABLE } from "../dist/experiment/run-record.js";
import { describeExecutor } from "../dist/experiment/executor-info.js";

/**
 * A small real executor: runs function jobs in-process, one attempt each, and describes
 * itself with `describe` (none when omitted).
 */
function inProcessExecutor(describeSelf?: () => Promise<ExecutorDescription>): ExecutionBackend {
  return {
    name: "test/in-process",
    kinds: ["function"],
    async run<T>(job: Job, context: RunContext): Promise<JobResult<T>> {
      if (job.kind !== "function") throw new Error(`unsupported job kind ${job.kind}`);
      try {
        return { ok: true, value: (await job.fn(job.input, context)) as T };
      } catch (error) {
        return { ok: false, error: { name: "Error", message: String((error as Error).message), retryable: false } };
      }
    },
    close: async () => undefined,
    ...(describeSelf ? { describe: describeSelf } : {}),
  };
}

/** The same executor behind a definition, as a package would publish it (created by the run). */
const describedBackend = defineExecutionBackend({
  name: "test/described",
  configSchema: z.strictObject({ cluster: z.string(), token: z.string().meta({ secret: true }) }),
  create: (config) => inProcessExecutor(async () => ({ cluster: config.cluster, scheduler: { name: "fifo", version: "1.2.0" }, nodes: 3 })),
});

describe("executor describe() in run provenance", () => {
  let project: Project;
  beforeEach(async () => {
    project = await Project.create(`p${randomUUID().slice(0, 8)}`, "memory", { namespace: `executor-info-${randomUUID()}` });
    await (await project.createDataset("qa")).appendMany(Array.from({ length: 5 }, (_, n) => ({ n })));
  });
  afterEach(() => project.close());

  const task = async (row: { n: number }) => row.n * 2;

  it("records what a definition's executor says about itself, beside its redacted config", async () => {
    const canary = `CANARY-${randomUUID()}`;
    const summary = await project.runExperiment({
      dataset: "qa",
      experiment: "e",
      task,
      execution: describedBackend,
      executionConfig: { cluster: "hpc-7", token: canary },
    });
    expect(summary).toMatchObject({ status: "completed", succeeded: 5 });
    const run = await getRun(project, summary.runId);
    expect(run.executor).toBe("test/in-process");
    expect(run.provenance.executorInfo).toEqual({ cluster: "hpc-7", scheduler: { name: "fifo", version: "1.2.0" }, nodes: 3 });
    expect(run.provenance.executorConfig).toEqual({ cluster: "hpc-7", token: "[redacted]" });
    expect(JSON.stringify(await (await project.internalTable("experiment", RUNS_TABLE)).load())).not.toContain(canary);
  });

  it("records executorInfo for an executor instance too, and null for one without describe", async () => {
    const described = await project.runExperiment({ dataset: "qa", experiment: "a", task, execution: inProcessExecutor(async () => ({ pool: "gpu" })) });
    expect((await getRun(project, described.runId)).provenance.executorInfo).toEqual({ pool: "gpu" });
    const plain = await project.runExperiment({ dataset: "qa", experiment: "b", task, execution: inProcessExecutor() });
    const run = await getRun(project, plain.runId);
    expect(run.status).toBe("completed");
    expect(run.provenance.executorInfo).toBeNull();
  });

  it("a describe that throws (or throws synchronously) does not break the run: executorInfo is null", async () => {
    const rejecting = inProcessExecutor(async () => {
      throw new Error("engine unreachable");
    });
    const throwing = {
      ...inProcessExecutor(),
      describe: (): Promise<ExecutorDescription> => {
        throw new Error("boom");
      },
    };
    for (const [i, executor] of [rejecting, throwing].entries()) {
      const summary = await project.runExperiment({ dataset: "qa", experiment: `t${i}`, task, execution: executor });
      expect(summary).toMatchObject({ status: "completed", succeeded: 5, failed: 0 });
      const run = await getRun(project, summary.runId);
      expect(run.status).toBe("completed");
      expect(run.provenance.executorInfo).toBeNull();
    }
  });

  it("masks credentials in URL-like strings the executor reports (canary)", async () => {
    const canary = `CANARY${randomUUID().replaceAll("-", "")}`;
    const executor = inProcessExecutor(async () => ({
      engine: `ssh://deploy:${canary}@build-host:22`,
      registry: `https://registry.example/v2?token=${canary}`,
    }));
    const summary = await project.runExperiment({ dataset: "qa", experiment: "urls", task, execution: executor });
    const run = await getRun(project, summary.runId);
    expect(run.provenance.executorInfo).toEqual({ engine: "ssh://deploy:[redacted]@build-host:22", registry: "https://registry.example/v2?token=[redacted]" });
    expect(JSON.stringify(await (await project.internalTable("experiment", RUNS_TABLE)).load())).not.toContain(canary);
  });
});

describe("describeExecutor", () => {
  const describing = (answer: () => Promise<unknown>): ExecutionBackend => ({ ...inProcessExecutor(), describe: answer as () => Promise<ExecutorDescription> });

  it("is null for an answer that is not a JSON object, or is too large", async () => {
    for (const answer of [[1, 2], "docker", null, { when: new Date(0) }, { n: Number.NaN }, { f: () => 1 }, { big: "x".repeat(70 * 1024) }]) {
      expect(await describeExecutor(describing(async () => answer))).toBeNull();
    }
    expect(await describeExecutor(describing(async () => ({ ok: true, skipped: undefined })))).toEqual({ ok: true });
  });

  it("gives up on a describe that never settles (null after the timeout)", async () => {
    expect(
      await describeExecutor(
        describing(() => new Promise(() => undefined)),
        50,
      ),
    ).toBeNull();
  });

  it("is null without an executor or without describe", async () => {
    expect(await describeExecutor(undefined)).toBeNull();
    expect(await describeExecutor(inProcessExecutor())).toBeNull();
  });
});
