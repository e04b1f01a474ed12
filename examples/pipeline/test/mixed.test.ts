import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Project } from "@themis/core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freshBucket } from "../../../packages/backend-s3/test/support/env.ts";

const dir = fileURLToPath(new URL("..", import.meta.url));
const bin = path.resolve(dir, "../../packages/cli/dist/bin.js");
const exec = promisify(execFile);
const services = inject("mixed");
let data: string;
let env: NodeJS.ProcessEnv;

describe.skipIf(services === null)("the mixed example: local, docker and s3", () => {
  beforeAll(async () => {
    if (!services) return;
    data = await mkdtemp(path.join(tmpdir(), "themis-example-mixed-"));
    env = {
      ...process.env,
      THEMIS_PIPELINE_DATA: data,
      DOCKER_HOST: services.dockerHost,
      THEMIS_EXAMPLE_IMAGE: services.image,
      S3_ENDPOINT: services.s3.endpoint,
      S3_BUCKET: await freshBucket(services.s3, "example"),
      S3_ACCESS_KEY_ID: services.s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: services.s3.secretAccessKey,
    };
    await exec(process.execPath, ["seed.ts"], { cwd: dir, env });
  });
  afterAll(() => rm(data, { recursive: true, force: true }));

  const themis = async (...args: string[]) =>
    JSON.parse((await exec(process.execPath, [bin, ...args, "-O", `rootDir=${data}`, "--json"], { cwd: dir, env })).stdout);

  it("counts words in containers, labels locally, archives the labels to S3; a second run reuses every row", async () => {
    const first = await themis("pipeline", "run", "mixed/pipeline.ts");
    expect(first.status).toBe("completed");
    for (const stage of ["clean", "count", "label"]) expect(first.stages[stage].counts).toMatchObject({ computed: 8, failed: 0 });
    const [summary, archive] = first.stages.label.postprocess;
    expect(summary).toMatchObject({ postprocessor: "summary", data: { metrics: { correct: { count: 8 } } } });
    expect(archive).toMatchObject({ postprocessor: "archive", rows: 8, data: { copied: 8 } });
    const runs = await themis("runs", "list");
    const executors = Object.fromEntries(
      await Promise.all((runs as { run_id: string; experiment: string }[]).map(async (r) => [r.experiment, (await themis("runs", "show", r.run_id)).executor])),
    );
    expect(executors).toMatchObject({ "mixed-clean": "local", "mixed-count": "docker", "mixed-label": "sequential" });

    const second = await themis("pipeline", "run", "mixed/pipeline.ts");
    for (const stage of ["clean", "count", "label"]) expect(second.stages[stage].counts).toMatchObject({ computed: 0, cached: 8 });
    expect(second.stages.label.postprocess[1]).toMatchObject({ data: { copied: 0, skipped: 8 } });

    // The archive on S3 holds the labels, word counts from the containers included.
    const s3 = services?.s3;
    const archived = await Project.open("reviews-archive", "s3", {
      bucket: env.S3_BUCKET ?? "",
      endpoint: s3?.endpoint ?? "",
      credentials: { accessKeyId: s3?.accessKeyId ?? "", secretAccessKey: s3?.secretAccessKey ?? "" },
    });
    const rows = await (await archived.getExperiment("mixed-label")).load();
    await archived.close();
    expect(rows).toHaveLength(8);
    expect(rows.find((r) => r.dataset_row_id === "review-1")?.output).toEqual({ label: "positive", correct: true, words: 4 });
  });
});
