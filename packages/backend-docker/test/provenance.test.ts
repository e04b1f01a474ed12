// A real experiment run with the docker executor records what its jobs ran in: the image,
// the id the engine gives it (imported test images have no repo digest) and the engine version.
import { randomUUID } from "node:crypto";
import { Project, getRun } from "@themis/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dockerBackend } from "../src/index.ts";
import { imageRepository, repoDigestOf } from "../src/describe.ts";
import { dockerTestEnv } from "./env.ts";
import { engineClient } from "./helpers.ts";

const env = dockerTestEnv();

describe("image references and repo digests", () => {
  it("finds the repository of a reference (tags, digests, registry ports)", () => {
    expect(imageRepository("busybox")).toBe("busybox");
    expect(imageRepository("busybox:1.36")).toBe("busybox");
    expect(imageRepository("localhost:5000/team/app:v2")).toBe("localhost:5000/team/app");
    expect(imageRepository("localhost:5000/team/app")).toBe("localhost:5000/team/app");
    expect(imageRepository("ghcr.io/a/b@sha256:abc")).toBe("ghcr.io/a/b");
  });

  it("picks the repo digest of the reference's own repository, else the first, else null", () => {
    const digests = ["mirror.local/busybox@sha256:111", "busybox@sha256:222"];
    expect(repoDigestOf("busybox:1.36", digests)).toBe("busybox@sha256:222");
    expect(repoDigestOf("other:1", digests)).toBe("mirror.local/busybox@sha256:111");
    expect(repoDigestOf("local/busybox:1", [])).toBeNull();
  });
});

describe.skipIf(!env)("docker runs record the image in their provenance", () => {
  let project: Project;
  beforeAll(async () => {
    project = await Project.create(`p${randomUUID().slice(0, 8)}`, "memory", { namespace: `docker-prov-${randomUUID()}` });
    await (await project.createDataset("words")).appendMany([{ word: "alpha" }, { word: "beta" }]);
  });
  afterAll(() => project?.close());

  it("runExperiment with the docker executor records the test image's id and the engine version", async () => {
    const image = env!.images.busybox;
    const summary = await project.runExperiment({
      dataset: "words",
      experiment: "echo",
      task: { kind: "command", command: (row: { word: string }) => ({ argv: ["echo", row.word] }) },
      execution: dockerBackend,
      executionConfig: { host: env!.host, image, pull: "never" },
      concurrency: 2,
    });
    expect(summary).toMatchObject({ status: "completed", succeeded: 2, failed: 0 });
    const run = await getRun(project, summary.runId);
    const engine = engineClient(env!);
    const inspect = await engine.getImage(image).inspect();
    const version = await engine.version();
    expect(inspect.Id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(run.provenance.executorInfo).toMatchObject({
      image,
      imageId: inspect.Id,
      // Imported locally: no registry ever gave it a repo digest, so the id pins it.
      repoDigest: null,
      digest: inspect.Id,
      pulled: false,
      built: false,
      platform: `${inspect.Os}/${inspect.Architecture}`,
      engine: { version: version.Version, apiVersion: version.ApiVersion },
    });
    expect(run.provenance.executorConfig).toMatchObject({ image, pull: "never" });
  });
});
