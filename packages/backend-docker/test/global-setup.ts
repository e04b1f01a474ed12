// vitest globalSetup: a Docker engine and the test images for every test file.
// - DOCKER_HOST set: that engine is used (and left running).
// - Otherwise a private dockerd is started on its own socket and data folders (see
//   engine/dockerd.ts), shared with the other projects that ask for one (the pipeline
//   example), and stopped after the run.
// A missing engine is a loud skip locally and a failure in CI (requireService).
import { type ServiceLease, requireService, shareService } from "@themis/conformance";
import type { TestProject } from "vitest/node";
import { type PrivateEngine, dockerClient, dockerdUnavailableReason, startPrivateEngine } from "./engine/dockerd.ts";
import { ensureTestImages } from "./engine/images.ts";
import type { DockerTestEnv } from "./env.ts";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let engine: ServiceLease<PrivateEngine> | undefined;
  const teardown = async (): Promise<void> => {
    await engine?.release();
  };
  const unavailable = (reason: string): (() => Promise<void>) => {
    requireService("Docker engine", false, reason);
    project.provide("docker", null);
    return teardown;
  };

  let host = process.env.DOCKER_HOST;
  if (!host) {
    const reason = dockerdUnavailableReason();
    if (reason) return unavailable(reason);
    try {
      engine = await shareService(
        "dockerd",
        () => startPrivateEngine(),
        (started) => started.stop(),
      );
    } catch (error) {
      return unavailable(`dockerd did not start: ${(error as Error).message}`);
    }
    host = engine.service.host;
  }
  const docker = dockerClient(host);
  try {
    await docker.ping();
  } catch (error) {
    await teardown();
    return unavailable(`no engine answers at ${host}: ${(error as Error).message}`);
  }
  try {
    const images = await ensureTestImages(docker);
    const env: DockerTestEnv = { host, images, privateEngine: engine !== undefined };
    project.provide("docker", env);
  } catch (error) {
    await teardown();
    return unavailable(`the test images could not be built: ${(error as Error).message}`);
  }
  return teardown;
}
