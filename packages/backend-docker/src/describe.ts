import type { ExecutorDescription } from "@themis/core";
import { type EngineConnection, engineError } from "./engine.js";
import type { PreparedImage } from "./prepared-image.js";

/** The repository part of an image reference: "busybox:1.36" → "busybox", "reg:5000/a/b@sha256:..." → "reg:5000/a/b". */
export function imageRepository(reference: string): string {
  const withoutDigest = reference.split("@")[0]!;
  const lastSlash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  // A colon after the last slash starts the tag; one before it belongs to a registry port.
  return colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
}

/**
 * The repo digest (`repo@sha256:...`) of `reference` among an image's RepoDigests: the one of
 * its own repository, else the first; null for images that never came from a registry
 * (built or imported locally).
 */
export function repoDigestOf(reference: string, repoDigests: readonly string[]): string | null {
  const repository = imageRepository(reference);
  return repoDigests.find((d) => imageRepository(d) === repository) ?? repoDigests[0] ?? null;
}

/**
 * What the docker executor tells a run's provenance: the image reference jobs run in, its
 * image id and repo digest as the engine reports them now (`docker image inspect`),
 * `digest` (the repo digest when there is one, else the image id: what pins the image),
 * how this executor got it, and the engine's version. No engine address, no credentials.
 */
export async function describeDockerExecutor(connection: EngineConnection, image: PreparedImage): Promise<ExecutorDescription> {
  let inspect: { Id: string; RepoDigests?: string[]; Os?: string; Architecture?: string };
  let version: { Version?: string; ApiVersion?: string; Os?: string; Arch?: string };
  try {
    [inspect, version] = await Promise.all([connection.docker.getImage(image.image).inspect(), connection.docker.version()]);
  } catch (error) {
    throw engineError(error, `inspecting image "${image.image}"`, connection.address);
  }
  const repoDigest = repoDigestOf(image.image, inspect.RepoDigests ?? []);
  return {
    image: image.image,
    imageId: inspect.Id,
    repoDigest,
    digest: repoDigest ?? inspect.Id,
    platform: inspect.Os && inspect.Architecture ? `${inspect.Os}/${inspect.Architecture}` : null,
    pulled: image.pulled,
    built: image.built,
    ...(image.contentHash === undefined ? {} : { contentHash: image.contentHash }),
    engine: { version: version.Version ?? null, apiVersion: version.ApiVersion ?? null, os: version.Os ?? null, arch: version.Arch ?? null },
  };
}
