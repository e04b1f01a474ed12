import { statSync } from "node:fs";
import path from "node:path";
import { InvalidConfigError, JobFailedError, NotFoundError } from "@themis/core";
import type Docker from "dockerode";
import { CONTEXT_DOCKERFILE, readBuildContext } from "./build-context.js";
import type { DockerConfig } from "./config.js";
import { type EngineConnection, engineError, statusOf } from "./engine.js";
import { BACKEND_NAME, LABELS } from "./labels.js";
import type { PreparedImage } from "./prepared-image.js";

interface ProgressEvent {
  error?: string;
  errorDetail?: { message?: string };
  stream?: string;
}

/** Wait for an engine progress stream (pull, build) to end; reject with the first error it reports. */
function followProgress(connection: EngineConnection, stream: NodeJS.ReadableStream): Promise<ProgressEvent[]> {
  return new Promise((resolve, reject) => {
    connection.docker.modem.followProgress(stream, (error: Error | null, events: ProgressEvent[]) => {
      if (error) return reject(error);
      const failed = events.find((e) => e.error !== undefined || e.errorDetail !== undefined);
      if (failed) return reject(new Error(failed.errorDetail?.message ?? failed.error));
      resolve(events);
    });
  });
}

async function imageExists(connection: EngineConnection, image: string): Promise<boolean> {
  try {
    await connection.docker.getImage(image).inspect();
    return true;
  } catch (error) {
    if (statusOf(error) === 404) return false;
    throw engineError(error, `inspecting image "${image}"`, connection.address);
  }
}

async function pullImage(connection: EngineConnection, image: string): Promise<void> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await connection.docker.pull(image);
  } catch (error) {
    if (statusOf(error) === 404) {
      throw new NotFoundError(`image "${image}" was not found in its registry (pull from the engine at ${connection.address})`, {
        backend: BACKEND_NAME,
        cause: error,
      });
    }
    throw engineError(error, `pulling image "${image}"`, connection.address);
  }
  try {
    await followProgress(connection, stream);
  } catch (error) {
    throw new JobFailedError(`pulling image "${image}" failed: ${(error as Error).message}`, { backend: BACKEND_NAME, cause: error });
  }
}

/** A repository name for built images: the context folder's name, made valid for Docker. */
function buildRepository(contextDir: string): string {
  const base = path
    .basename(contextDir)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "");
  return `themis-build/${base || "context"}`;
}

async function buildImage(connection: EngineConnection, config: DockerConfig): Promise<PreparedImage> {
  const dockerfile = path.resolve(config.dockerfile!);
  const contextDir = path.resolve(config.buildContext ?? path.dirname(dockerfile));
  try {
    if (!statSync(dockerfile).isFile()) throw new Error("not a file");
  } catch {
    throw new InvalidConfigError("cannot build the image", [{ path: "dockerfile", message: `${dockerfile} is not a readable file` }], {
      backend: BACKEND_NAME,
    });
  }
  try {
    if (!statSync(contextDir).isDirectory()) throw new Error("not a folder");
  } catch {
    throw new InvalidConfigError("cannot build the image", [{ path: "buildContext", message: `${contextDir} is not a folder` }], { backend: BACKEND_NAME });
  }
  const context = await readBuildContext(dockerfile, contextDir, config.buildArgs ?? {});
  const image = `${buildRepository(contextDir)}:${context.contentHash.slice(0, 20)}`;
  // Same Dockerfile, args and context: the image is already there, skip the build.
  // (pull "always" asks for fresh base images, so it always builds.)
  if (config.pull !== "always" && (await imageExists(connection, image))) {
    return { image, pulled: false, built: false, contentHash: context.contentHash };
  }
  let stream: NodeJS.ReadableStream;
  try {
    const options = {
      t: image,
      dockerfile: CONTEXT_DOCKERFILE,
      buildargs: config.buildArgs ?? {},
      labels: { [LABELS.backend]: BACKEND_NAME, [LABELS.contentHash]: context.contentHash },
      rm: true,
      forcerm: true,
      // "1": the legacy builder, which needs no BuildKit session.
      version: "1",
      ...(config.pull === "always" ? { pull: "1" } : {}),
    };
    stream = await connection.docker.buildImage(context.tarStream() as unknown as NodeJS.ReadableStream, options as unknown as Docker.ImageBuildOptions);
  } catch (error) {
    throw engineError(error, `building ${dockerfile}`, connection.address);
  }
  let events: ProgressEvent[] = [];
  try {
    events = await followProgress(connection, stream);
  } catch (error) {
    throw new JobFailedError(`building ${dockerfile} failed: ${(error as Error).message}`, { backend: BACKEND_NAME, cause: error });
  }
  if (!(await imageExists(connection, image))) {
    const log = events
      .map((e) => e.stream ?? "")
      .join("")
      .split("\n")
      .slice(-10)
      .join("\n");
    throw new JobFailedError(`building ${dockerfile} produced no image ${image}:\n${log}`, { backend: BACKEND_NAME });
  }
  return { image, pulled: false, built: true, contentHash: context.contentHash };
}

/**
 * Make the config's image available on the engine: pull it per the `pull` policy, or build
 * the Dockerfile (skipped when an image with the same content hash exists).
 */
export async function prepareImage(connection: EngineConnection, config: DockerConfig): Promise<PreparedImage> {
  if (config.dockerfile !== undefined) return buildImage(connection, config);
  const image = config.image!;
  if (config.pull === "always") {
    await pullImage(connection, image);
    return { image, pulled: true, built: false };
  }
  if (await imageExists(connection, image)) return { image, pulled: false, built: false };
  if (config.pull === "never") {
    throw new NotFoundError(
      `image "${image}" is not on the engine at ${connection.address} and pull is "never" (pull or build it first, or set pull: "missing")`,
      {
        backend: BACKEND_NAME,
      },
    );
  }
  await pullImage(connection, image);
  return { image, pulled: true, built: false };
}
