import { existsSync } from "node:fs";
import type Docker from "dockerode";
import { InvalidConfigError, type Issue } from "@themis/core";
import type { DockerConfig } from "./config.js";
import { parseDuration } from "@themis/core/backend";
import { BACKEND_NAME } from "./labels.js";
import { parseMemorySize } from "./memory-size.js";
import { type VolumeSpec, parseVolumeSpec } from "./volume-spec.js";

/** The config turned into what the Engine API wants, once per executor. */
export interface ContainerSettings {
  readonly user: string;
  readonly network: string;
  readonly memoryBytes: number | undefined;
  readonly nanoCpus: number | undefined;
  readonly pidsLimit: number | undefined;
  readonly volumes: readonly VolumeSpec[];
  readonly env: Readonly<Record<string, string>>;
  readonly workingDir: string | undefined;
  readonly timeoutMs: number | undefined;
  readonly mpiexec: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

/** What the engine reports about itself that config checks need. */
export interface EngineFacts {
  readonly cpus: number | undefined;
  /** True when the engine shares this machine's file system (bind sources can be checked). */
  readonly local: boolean;
}

/**
 * Derive the container settings from a validated config, checking what only the engine
 * can tell: enough CPUs for `cpu`, host paths of volumes that exist (local engines).
 * Throws InvalidConfigError with the field path.
 */
export function containerSettings(config: DockerConfig, engine: EngineFacts): ContainerSettings {
  const issues: Issue[] = [];
  if (config.cpu !== undefined && engine.cpus !== undefined && config.cpu > engine.cpus) {
    issues.push({ path: "cpu", message: `${config.cpu} CPUs asked, but the engine has ${engine.cpus}` });
  }
  const volumes = config.volumes.map((text) => parseVolumeSpec(text) as VolumeSpec);
  volumes.forEach((volume, i) => {
    // Docker would create a missing bind source as an empty root-owned folder: refuse instead.
    if (volume.type === "bind" && engine.local && !existsSync(volume.source)) {
      issues.push({ path: `volumes[${i}]`, message: `host path ${volume.source} does not exist` });
    }
  });
  if (issues.length) throw new InvalidConfigError(`invalid config for backend "${BACKEND_NAME}"`, issues, { backend: BACKEND_NAME });
  const mpiexec = config.mpiexec === undefined ? [] : typeof config.mpiexec === "string" ? config.mpiexec.trim().split(/\s+/) : [...config.mpiexec];
  return {
    user: config.user,
    network: config.network,
    memoryBytes: config.memory === undefined ? undefined : parseMemorySize(config.memory),
    nanoCpus: config.cpu === undefined ? undefined : Math.round(config.cpu * 1e9),
    pidsLimit: config.pidsLimit,
    volumes,
    env: config.env,
    workingDir: config.workingDir,
    timeoutMs: config.timeout === undefined ? undefined : parseDuration(config.timeout),
    mpiexec,
    labels: config.labels,
  };
}

/** One job's part of a container. */
export interface JobContainerInput {
  readonly image: string;
  readonly cmd: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly workingDir: string | undefined;
  readonly withStdin: boolean;
  readonly labels: Readonly<Record<string, string>>;
  /** Extra read-only bind mounts (a module job's folder). */
  readonly extraMounts?: readonly VolumeSpec[];
}

/** The Engine API create options for one job's container. */
export function createOptions(settings: ContainerSettings, input: JobContainerInput): Docker.ContainerCreateOptions {
  const mounts = [...settings.volumes, ...(input.extraMounts ?? [])].map((v) => ({
    Type: v.type,
    Source: v.source,
    Target: v.target,
    ReadOnly: v.readOnly,
  }));
  return {
    Image: input.image,
    Cmd: [...input.cmd],
    Env: Object.entries(input.env).map(([k, v]) => `${k}=${v}`),
    ...(input.workingDir === undefined ? {} : { WorkingDir: input.workingDir }),
    User: settings.user,
    Labels: { ...settings.labels, ...input.labels },
    Tty: false,
    AttachStdin: input.withStdin,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: input.withStdin,
    StdinOnce: input.withStdin,
    HostConfig: {
      NetworkMode: settings.network,
      ...(settings.memoryBytes === undefined ? {} : { Memory: settings.memoryBytes, MemorySwap: settings.memoryBytes }),
      ...(settings.nanoCpus === undefined ? {} : { NanoCpus: settings.nanoCpus }),
      ...(settings.pidsLimit === undefined ? {} : { PidsLimit: settings.pidsLimit }),
      Mounts: mounts as Docker.MountConfig,
      // A tiny init as PID 1: forwards SIGTERM to the job (PID 1 ignores it otherwise) and
      // reaps zombies.
      Init: true,
      Privileged: false,
      // setuid binaries in the image cannot raise privileges.
      SecurityOpt: ["no-new-privileges"],
      AutoRemove: false,
    },
  };
}
