// Images from a Dockerfile: built once per content hash (Dockerfile + build args + context
// after .dockerignore), reused when nothing changed.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DockerExecutor } from "../src/index.ts";
import { dockerTestEnv } from "./env.ts";
import { createDockerExecutor, engineClient, runJob } from "./helpers.ts";

const env = dockerTestEnv();

describe.skipIf(!env)("images built from a Dockerfile", () => {
  let context: string;
  const executors: DockerExecutor[] = [];
  const builtTags = new Set<string>();
  const build = async (buildArgs: Record<string, string> = { GREETING: "hello" }) => {
    const executor = await createDockerExecutor(env!, { dockerfile: path.join(context, "Dockerfile"), buildArgs });
    executors.push(executor);
    builtTags.add(executor.image.image);
    return executor;
  };

  beforeAll(() => {
    context = mkdtempSync(path.join(tmpdir(), "themis-docker-build-"));
    chmodSync(context, 0o755);
    // No RUN: the test engine has no bridge network for build containers.
    writeFileSync(
      path.join(context, "Dockerfile"),
      `FROM ${env!.images.busybox}\nARG GREETING=unset\nENV GREETING=$GREETING\nCOPY greeting.txt /greeting.txt\n`,
    );
    writeFileSync(path.join(context, "greeting.txt"), "v1\n");
    writeFileSync(path.join(context, ".dockerignore"), "scratch/\n");
  });

  afterAll(async () => {
    for (const executor of executors) await executor.close();
    for (const tag of builtTags)
      await engineClient(env!)
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined);
    rmSync(context, { recursive: true, force: true });
  });

  it("builds once, honours build args and the context, and reuses the image while nothing changes", async () => {
    const first = await build();
    expect(first.image.built).toBe(true);
    expect(first.image.image).toMatch(/^themis-build\/themis-docker-build-[a-z0-9]+:[0-9a-f]{20}$/);
    const out = await runJob(first, { kind: "command", argv: ["sh", "-c", 'cat /greeting.txt; echo "$GREETING"'] });
    expect(out.ok && out.value).toBe("v1\nhello\n");

    const again = await build();
    expect(again.image).toMatchObject({ image: first.image.image, built: false });

    // Ignored files do not change the hash.
    mkdirSync(path.join(context, "scratch"), { recursive: true });
    writeFileSync(path.join(context, "scratch", "notes.txt"), String(Math.random()));
    const ignored = await build();
    expect(ignored.image).toMatchObject({ image: first.image.image, built: false });
  });

  it("rebuilds when a context file or a build arg changes", async () => {
    const before = await build();
    writeFileSync(path.join(context, "greeting.txt"), "v2\n");
    const changedFile = await build();
    expect(changedFile.image.built).toBe(true);
    expect(changedFile.image.image).not.toBe(before.image.image);
    const changedArg = await build({ GREETING: "bonjour" });
    expect(changedArg.image.built).toBe(true);
    expect(changedArg.image.image).not.toBe(changedFile.image.image);
    const out = await runJob(changedArg, { kind: "command", argv: ["sh", "-c", 'cat /greeting.txt; echo "$GREETING"'] });
    expect(out.ok && out.value).toBe("v2\nbonjour\n");
  });

  it("reports a Dockerfile that does not build as an error at creation, with the engine's reason", async () => {
    writeFileSync(path.join(context, "Broken.Dockerfile"), "FROM themis-test/no-such-base:1\n");
    const error = await createDockerExecutor(env!, { dockerfile: path.join(context, "Broken.Dockerfile"), buildContext: context, pull: "never" }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "ERR_THEMIS_JOB_FAILED" });
  });

  it("names the field of a missing Dockerfile", async () => {
    await expect(createDockerExecutor(env!, { dockerfile: path.join(context, "Missing.Dockerfile") })).rejects.toMatchObject({
      code: "ERR_THEMIS_INVALID_CONFIG",
      issues: [{ path: "dockerfile" }],
    });
  });
});
