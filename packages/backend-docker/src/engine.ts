import { existsSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { ConflictError, InvalidConfigError, JobFailedError, NotFoundError, ThemisError, UnavailableError, decodeUriField, redactUrls } from "@themis/core";
import Docker from "dockerode";
import { BACKEND_NAME } from "./labels.js";

/** A dockerode client and the address it talks to, as a user would write it. */
export interface EngineConnection {
  readonly docker: Docker;
  /** "unix:///var/run/docker.sock", "tcp://host:2375", ...: what error messages name. */
  readonly address: string;
  /** True when the engine runs on this machine (a unix socket): host paths are its paths. */
  readonly local: boolean;
}

function defaultSocket(): string {
  // Docker Desktop's per-user socket first, as the docker CLI does.
  const user = path.join(homedir(), ".docker", "run", "docker.sock");
  return existsSync(user) ? user : "/var/run/docker.sock";
}

/**
 * Connect (lazily: nothing is sent yet) to the engine at `host`, else $DOCKER_HOST (with
 * DOCKER_TLS_VERIFY / DOCKER_CERT_PATH, as the docker CLI reads them), else the local socket.
 */
export function connectEngine(host: string | undefined): EngineConnection {
  const chosen = host ?? process.env.DOCKER_HOST;
  if (chosen === undefined || chosen === "") {
    const socketPath = defaultSocket();
    // host: undefined overrides whatever dockerode would read from the environment.
    return { docker: new Docker({ socketPath, host: undefined } as Docker.DockerOptions), address: `unix://${socketPath}`, local: true };
  }
  if (host === undefined) {
    // From $DOCKER_HOST: let dockerode apply the environment's TLS settings too.
    return { docker: new Docker(), address: chosen, local: chosen.startsWith("unix://") };
  }
  let url: URL;
  try {
    url = new URL(chosen.includes("://") ? chosen : `tcp://${chosen}`);
  } catch (cause) {
    // Masked: an ssh:// address may carry a password.
    throw new InvalidConfigError(
      `invalid engine address`,
      [{ path: "host", message: `"${redactUrls(chosen)}" is not a URL such as unix:///var/run/docker.sock or tcp://host:2375` }],
      { backend: BACKEND_NAME, cause },
    );
  }
  switch (url.protocol) {
    case "unix:": {
      const socketPath = decodeUriField(url.pathname, "host", BACKEND_NAME);
      return { docker: new Docker({ socketPath, host: undefined } as Docker.DockerOptions), address: `unix://${socketPath}`, local: true };
    }
    case "npipe:":
      return { docker: new Docker({ socketPath: chosen.slice("npipe://".length), host: undefined } as Docker.DockerOptions), address: chosen, local: true };
    case "tcp:":
    case "http:":
    case "https:": {
      const https = url.protocol === "https:" || url.port === "2376";
      const port = url.port || (https ? "2376" : "2375");
      const docker = new Docker({ host: url.hostname, port, protocol: https ? "https" : "http", socketPath: undefined } as Docker.DockerOptions);
      return { docker, address: `${url.protocol}//${url.hostname}:${port}`, local: false };
    }
    case "ssh:": {
      const docker = new Docker({
        host: url.hostname,
        port: url.port || "22",
        protocol: "ssh",
        username: decodeUriField(url.username, "host", BACKEND_NAME),
        sshOptions: { agent: process.env.SSH_AUTH_SOCK },
        socketPath: undefined,
      } as Docker.DockerOptions);
      // The user name is kept out of the address: messages name the host only.
      return { docker, address: `ssh://${url.hostname}${url.port ? `:${url.port}` : ""}`, local: false };
    }
    default:
      throw new InvalidConfigError(
        "invalid engine address",
        [{ path: "host", message: `unsupported scheme "${url.protocol}" (use unix://, tcp://, https:// or ssh://)` }],
        { backend: BACKEND_NAME },
      );
  }
}

/** The HTTP status of a dockerode error, if it has one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/** The engine's own message in a dockerode error (its JSON body), else the error message. */
export function engineMessage(error: unknown): string {
  const e = error as { json?: { message?: unknown }; message?: unknown } | null;
  if (e?.json && typeof e.json.message === "string") return e.json.message;
  return typeof e?.message === "string" ? e.message : String(error);
}

const CONNECTION_CODES = new Set(["ECONNREFUSED", "ENOENT", "EACCES", "EPERM", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

/** True when `error` says the engine could not be reached at all (no HTTP answer). */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && CONNECTION_CODES.has(code);
}

/**
 * Turn a dockerode failure into a Themis error: unreachable engine → UnavailableError naming
 * the address, 404 → NotFoundError, 409 → ConflictError, 5xx → UnavailableError (retryable),
 * other refusals → JobFailedError.
 */
export function engineError(error: unknown, doing: string, address: string): ThemisError {
  if (error instanceof ThemisError) return error;
  if (isConnectionError(error)) {
    const code = (error as { code: string }).code;
    const hint =
      code === "ENOENT"
        ? " (no engine listening there: is dockerd running? set host or DOCKER_HOST)"
        : code === "EACCES"
          ? " (permission denied: is this user in the docker group?)"
          : "";
    return new UnavailableError(`cannot reach the Docker engine at ${address} while ${doing}: ${code}${hint}`, { backend: BACKEND_NAME, cause: error });
  }
  const status = statusOf(error);
  if (status === 404) return new NotFoundError(`${doing}: ${engineMessage(error)}`, { backend: BACKEND_NAME, cause: error });
  if (status !== undefined && status >= 500) {
    return new UnavailableError(`the Docker engine at ${address} failed while ${doing}: ${engineMessage(error)}`, { backend: BACKEND_NAME, cause: error });
  }
  if (status === 409) return new ConflictError(`${doing}: ${engineMessage(error)}`, { backend: BACKEND_NAME, cause: error });
  return new JobFailedError(`${doing}: ${engineMessage(error)}`, { backend: BACKEND_NAME, cause: error });
}

/**
 * Check that the engine answers, before any job: throws UnavailableError naming the
 * address when it does not (within `timeoutMs`).
 */
export async function pingEngine(connection: EngineConnection, timeoutMs = 10_000): Promise<void> {
  try {
    await connection.docker.ping({ abortSignal: AbortSignal.timeout(timeoutMs) } as never);
  } catch (error) {
    if ((error as { name?: unknown }).name === "TimeoutError" || (error as { name?: unknown }).name === "AbortError") {
      throw new UnavailableError(`the Docker engine at ${connection.address} did not answer within ${timeoutMs} ms`, { backend: BACKEND_NAME, cause: error });
    }
    throw engineError(error, "connecting", connection.address);
  }
}
