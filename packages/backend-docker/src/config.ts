import { availableParallelism } from "node:os";
import { DEFAULT_MAX_OUTPUT_BYTES, MAX_TIMEOUT_MS } from "@themis/core";
import { z } from "zod";
import { durationSchema as duration } from "@themis/core/backend";
import type { DockerLogEvent } from "./log-lines.js";
import { MIN_MEMORY_BYTES, parseMemorySize } from "./memory-size.js";
import { parseVolumeSpec } from "./volume-spec.js";

/** The user jobs run as when `user` is not set: nobody:nogroup, never root. */
export const DEFAULT_USER = "65534:65534";

// Docker's own rules: a user is a name or uid, optionally ":group" (name or gid).
const USER = /^([a-z_][a-z0-9_.-]*\$?|\d+)(:([a-z_][a-z0-9_.-]*\$?|\d+))?$/i;
// Network names: "none", "host", "bridge", "container:<id>" or a user-defined network.
const NETWORK = /^(container:)?[A-Za-z0-9][A-Za-z0-9_.-]*$/;
// Environment variable names: anything without "=" or NUL, not empty.
const ENV_NAME = /^[^=\0]+$/;

/**
 * Config of the "docker" executor (ROMPY's DockerConfig, grown up). Every field is honoured
 * or rejected with its path; nothing is silently ignored.
 */
export const dockerConfigSchema = z
  .object({
    host: z
      .string()
      .min(1)
      .optional()
      .describe('Docker engine address: "unix:///var/run/docker.sock", "tcp://host:2375", "ssh://user@host". Default: $DOCKER_HOST, else the local socket.'),
    image: z.string().min(1).optional().describe("Image to run (exactly one of image / dockerfile)."),
    dockerfile: z
      .string()
      .min(1)
      .optional()
      .meta({ path: true })
      .describe("Dockerfile to build the image from (exactly one of image / dockerfile). Relative paths: against the config file's folder."),
    buildContext: z.string().min(1).optional().meta({ path: true }).describe("Build context folder. Default: the Dockerfile's folder."),
    buildArgs: z.record(z.string(), z.string()).optional().describe("Build arguments (ARG) for the Dockerfile."),
    pull: z
      .enum(["never", "missing", "always"])
      .default("missing")
      .describe('When to pull `image` (once per executor): "never", "missing" (default) or "always". With a Dockerfile, "always" pulls its base images.'),
    cpu: z.number().min(1).max(128).optional().describe("CPUs per job (1-128, fractions allowed): a CFS quota, not a pinning."),
    memory: z
      .union([z.string(), z.number()])
      .optional()
      .refine((v) => v === undefined || (parseMemorySize(v) ?? 0) >= MIN_MEMORY_BYTES, {
        message: 'expected a size such as "512m" or "2g" (at least 6m), or bytes',
      })
      .describe('Memory limit per job: "512m", "2g" (swap disabled: the limit is real).'),
    user: z
      .string()
      .regex(USER, 'expected "uid", "uid:gid", "name" or "name:group"')
      .default(DEFAULT_USER)
      .describe(`User (and group) jobs run as. Default: "${DEFAULT_USER}" (nobody): never root unless you say "0" or "root".`),
    volumes: z
      .array(
        z.string().superRefine((value, ctx) => {
          const parsed = parseVolumeSpec(value);
          if ("error" in parsed) ctx.addIssue({ code: "custom", message: parsed.error });
        }),
      )
      .default([])
      .refine((list) => new Set(list.map((v) => (parseVolumeSpec(v) as { target?: string }).target)).size === list.length, {
        message: "two volumes mount at the same container path",
      })
      .describe('Volumes: "/host/path:/container/path[:ro|rw]" (host paths absolute) or "volume-name:/container/path[:ro|rw]".'),
    env: z
      .record(z.string().regex(ENV_NAME, 'variable names cannot be empty or contain "="'), z.string())
      .default({})
      .describe("Environment variables for every job (a job's own env wins). The host's environment is never passed in."),
    workingDir: z
      .string()
      .refine((v) => v.startsWith("/"), { message: "must be an absolute path inside the container" })
      .optional()
      .describe("Working directory inside the container. Default: the image's."),
    timeout: duration.optional().describe('Per-job timeout (each attempt): ms or "30s", "5m", "1h". The container is stopped, killed and removed.'),
    network: z
      .string()
      .regex(NETWORK, 'expected "none", "host", "bridge" or a network name')
      .default("none")
      .describe('Network mode. Default: "none" (no network at all).'),
    mpiexec: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .optional()
      .describe('Prefix for parallel command jobs, e.g. "mpiexec -n 4" (a string split on spaces, or an argv array).'),
    pidsLimit: z.number().int().min(1).optional().describe("Maximum number of processes (and threads) per job."),
    removeContainer: z.boolean().default(true).describe("Remove each container when its job ends (finished, failed, timed out or cancelled)."),
    labels: z.record(z.string().min(1), z.string()).default({}).describe("Extra labels on every container (themis.* labels are always set)."),
    concurrency: z.number().int().min(1).default(availableParallelism()).describe("Jobs at once when map/runExperiment do not say. Default: CPU cores."),
    maxOutputBytes: z
      .number()
      .int()
      .nonnegative()
      .default(DEFAULT_MAX_OUTPUT_BYTES)
      .describe("Bytes of stdout and of stderr kept per job (the rest is counted, not kept). A job's maxOutputBytes wins."),
    killGraceMs: z.number().int().nonnegative().max(MAX_TIMEOUT_MS).default(2000).describe("Milliseconds between SIGTERM and SIGKILL when a job is stopped."),
    moduleRoot: z
      .string()
      .min(1)
      .optional()
      .meta({ path: true })
      .describe("Host folder mounted read-only (at the same path) for module jobs. Default: the module's package folder."),
    moduleTransfer: z
      .enum(["auto", "mount", "copy"])
      .default("auto")
      .describe(
        'How module jobs get their module: "mount" (read-only bind mount), "copy" (copied into each container, read-only modes; works with remote engines) or "auto" (mount on a local engine, else copy).',
      ),
    onLog: z
      .custom<(event: DockerLogEvent) => void>((v) => typeof v === "function", { message: "must be a function" })
      .optional()
      .describe("Called with each line a job prints (stdout and stderr), as it is printed (code only, not config files)."),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.image === undefined && config.dockerfile === undefined) {
      ctx.addIssue({ code: "custom", path: ["image"], message: "set either image or dockerfile" });
    }
    if (config.image !== undefined && config.dockerfile !== undefined) {
      ctx.addIssue({ code: "custom", path: ["dockerfile"], message: "set either image or dockerfile, not both" });
    }
    if (config.image !== undefined) {
      for (const key of ["buildContext", "buildArgs"] as const) {
        if (config[key] !== undefined) ctx.addIssue({ code: "custom", path: [key], message: "only applies with dockerfile (the image is not built)" });
      }
    }
  });

/** What a user writes (defaults optional). */
export type DockerConfigInput = z.input<typeof dockerConfigSchema>;
/** The validated config, defaults applied. */
export type DockerConfig = z.output<typeof dockerConfigSchema>;
