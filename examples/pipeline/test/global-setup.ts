// vitest globalSetup of the mixed example: a Docker engine with a busybox image and a Ceph
// radosgw S3 server, started the way backend-docker's and backend-s3's own tests start
// them (their setup code is reused, not copied) and shared with those projects in one run. DOCKER_HOST / S3_ENDPOINT point at running
// ones instead. Missing: a loud skip on a laptop, a failure in CI (requireService).
import { type ServiceLease, requireService, shareService } from "@themis/conformance";
import type { TestProject } from "vitest/node";
import { type PrivateEngine, dockerClient, dockerdUnavailableReason, startPrivateEngine } from "../../../packages/backend-docker/test/engine/dockerd.ts";
import { ensureBusyboxImage } from "../../../packages/backend-docker/test/engine/images.ts";
import { Radosgw, type S3ServerInfo, radosgwMissing } from "../../../packages/backend-s3/test/support/radosgw.ts";

export interface MixedServices {
  dockerHost: string;
  image: string;
  s3: S3ServerInfo;
}

declare module "vitest" {
  export interface ProvidedContext {
    mixed: MixedServices | null;
  }
}

async function docker(): Promise<{ host: string; image: string; engine?: ServiceLease<PrivateEngine> } | string> {
  let engine: ServiceLease<PrivateEngine> | undefined;
  let host = process.env.DOCKER_HOST;
  if (!host) {
    const reason = dockerdUnavailableReason();
    if (reason) return reason;
    engine = await shareService(
      "dockerd",
      () => startPrivateEngine(),
      (started) => started.stop(),
    );
    host = engine.service.host;
  }
  try {
    return { host, image: await ensureBusyboxImage(dockerClient(host)), ...(engine ? { engine } : {}) };
  } catch (error) {
    await engine?.release();
    return `no usable Docker engine at ${host}: ${(error as Error).message}`;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stops: (() => Promise<void>)[] = [];
  const teardown = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop();
  };
  const missing = (service: string, reason: string): (() => Promise<void>) => {
    requireService(service, false, reason);
    project.provide("mixed", null);
    return teardown;
  };
  const engine = await docker();
  if (typeof engine === "string") return missing("Docker engine", engine);
  if (engine.engine) stops.push(() => engine.engine?.release() ?? Promise.resolve());
  let s3: S3ServerInfo;
  if (process.env.S3_ENDPOINT) {
    s3 = {
      endpoint: process.env.S3_ENDPOINT,
      accessKeyId: process.env.S3_ACCESS_KEY_ID ?? "",
      secretAccessKey: process.env.S3_SECRET_ACCESS_KEY ?? "",
      otherAccessKeyId: "",
      otherSecretAccessKey: "",
    };
  } else {
    const reason = radosgwMissing();
    if (reason) {
      await teardown();
      return missing("S3 (Ceph radosgw)", reason);
    }
    const lease = await shareService(
      "radosgw",
      () => Radosgw.start(),
      (server) => server.stop(),
    );
    stops.push(() => lease.release());
    s3 = lease.service.info;
  }
  project.provide("mixed", { dockerHost: engine.host, image: engine.image, s3 });
  return teardown;
}
