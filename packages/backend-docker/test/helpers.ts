import { type JobResult, type Job, parseBackendConfig } from "@themis/core";
import type Docker from "dockerode";
import { dockerClient } from "./engine/dockerd.ts";
import { type DockerConfigInput, type DockerExecutor, LABELS, dockerBackend } from "../src/index.ts";
import type { DockerTestEnv } from "./env.ts";

/** A dockerode client for the test engine (for probes: containers, images). */
export function engineClient(env: DockerTestEnv): Docker {
  return dockerClient(env.host);
}

/** Validate `config` as the registry would and create the executor on the test engine. */
export async function createDockerExecutor(env: DockerTestEnv, config: DockerConfigInput): Promise<DockerExecutor> {
  const parsed = parseBackendConfig(dockerBackend, { host: env.host, ...config });
  return (await dockerBackend.create(parsed)) as DockerExecutor;
}

/** Containers (running or not) carrying this executor's label: what `docker ps -a --filter label=...` lists. */
export async function containersOf(env: DockerTestEnv, executorId: string): Promise<Docker.ContainerInfo[]> {
  return engineClient(env).listContainers({ all: true, filters: { label: [`${LABELS.executor}=${executorId}`] } });
}

/** Run one job directly (no map), with a signal that never aborts unless given. */
export function runJob<T = unknown>(executor: DockerExecutor, job: Job, signal: AbortSignal = new AbortController().signal): Promise<JobResult<T>> {
  return executor.run<T>(job, { signal, attempt: 1, index: 0 });
}
