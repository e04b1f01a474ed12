// What the global setup hands the test files (through vitest's provide/inject).
import { inject } from "vitest";
import type { TestImages } from "./engine/images.ts";

export interface DockerTestEnv {
  /** DOCKER_HOST of the engine the tests use. */
  host: string;
  images: TestImages;
  /** True when the tests started (and will stop) their own dockerd. */
  privateEngine: boolean;
}

declare module "vitest" {
  export interface ProvidedContext {
    docker: DockerTestEnv | null;
  }
}

/** The engine and images, or null when the engine is missing (tests then skip). */
export function dockerTestEnv(): DockerTestEnv | null {
  return inject("docker");
}
