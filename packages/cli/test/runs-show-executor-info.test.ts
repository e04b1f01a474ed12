// `themis runs show` prints what the run's executor said about itself (describe()).
import path from "node:path";
import { describe, expect, it } from "vitest";
import { type ExecutionBackend, type Job, type JobResult, Project } from "@themis/core";
import { localCsvBackend } from "@themis/backend-local-csv";
import { makeApp, themis, themisJson } from "./helpers.js";

/** A small in-process executor that describes the image it would run in. */
const described: ExecutionBackend = {
  name: "test/described",
  kinds: ["function"],
  run: async <T>(job: Job): Promise<JobResult<T>> => ({ ok: true, value: (job.kind === "function" ? await job.fn(job.input, {} as never) : null) as T }),
  close: async () => undefined,
  describe: async () => ({ image: "busybox:1.36", digest: "busybox@sha256:9ae97d36d2" }),
};

describe("themis runs show: executor info", () => {
  it("prints the executor's describe() facts, and --json carries them", async () => {
    const app = makeApp(["local-csv"], { "themis.config.yaml": "project: demo\nstorage:\n  type: local/csv\n  rootDir: ./data\n" });
    const project = await Project.create("demo", localCsvBackend, { rootDir: path.join(app, "data") });
    await (await project.createDataset("qa")).appendMany([{ n: 1 }, { n: 2 }]);
    const { runId } = await project.runExperiment({ dataset: "qa", experiment: "e", task: (row: { n: number }) => row.n, execution: described });
    await project.close();
    const show = await themis(app, ["runs", "show", runId]);
    expect(show.stdout).toMatch(/^executor info:\s+\{"image":"busybox:1\.36","digest":"busybox@sha256:9ae97d36d2"\}$/m);
    const json = await themisJson(app, ["runs", "show", runId]);
    expect(json.json.provenance.executorInfo).toEqual({ image: "busybox:1.36", digest: "busybox@sha256:9ae97d36d2" });
  });
});
