import { existsSync } from "node:fs";
import { BoxCcgAuth, BoxClient, BoxDeveloperTokenAuth, BoxJwtAuth, CcgConfig, JwtConfig } from "box-node-sdk";
import { BaseUrls, BoxRetryStrategy, NetworkSession } from "box-node-sdk/networking";
import { InvalidConfigError } from "@themis/core";
import type { BoxConfig } from "./config.js";
import { BACKEND_NAME } from "./errors.js";
import { BoxRetryPolicy } from "./retry-strategy.js";

/** How the backend authenticates, for diagnostics (never holds the secret itself). */
export type BoxAuthMode = "developer-token" | "client-credentials" | "jwt" | "client";

const env = (name: string): string | undefined => {
  const v = process.env[name];
  return v === undefined || v === "" ? undefined : v;
};

const invalid = (path: string, message: string): InvalidConfigError =>
  new InvalidConfigError(`invalid config for backend "${BACKEND_NAME}"`, [{ path, message }], { backend: BACKEND_NAME });

function jwtAuth(file: string, userId: string | undefined, enterpriseId: string | undefined): BoxJwtAuth {
  if (!existsSync(file)) throw invalid("jwtConfigFile", `no such file: ${file}`);
  let config: JwtConfig;
  try {
    config = JwtConfig.fromConfigFile(file);
  } catch (error) {
    // The SDK's message may quote the file; keep only the kind of failure.
    throw new InvalidConfigError(
      `invalid config for backend "${BACKEND_NAME}"`,
      [{ path: "jwtConfigFile", message: "not a Box JWT config file (download it from the app's Configuration page)" }],
      {
        backend: BACKEND_NAME,
        cause: new Error(error instanceof Error ? error.name : "invalid JWT config"),
      },
    );
  }
  const auth = new BoxJwtAuth({ config });
  if (userId) return auth.withUserSubject(userId);
  if (enterpriseId) return auth.withEnterpriseSubject(enterpriseId);
  return auth;
}

/** The auth of a config: explicit fields first, then the environment. */
function authFor(config: BoxConfig): { auth: BoxDeveloperTokenAuth | BoxCcgAuth | BoxJwtAuth; mode: BoxAuthMode } {
  const userId = config.userId ?? env("BOX_USER_ID");
  const enterpriseId = config.userId === undefined ? (config.enterpriseId ?? env("BOX_ENTERPRISE_ID")) : undefined;
  const token = config.developerToken ?? (config.clientId || config.jwtConfigFile ? undefined : env("BOX_DEVELOPER_TOKEN"));
  if (token) return { auth: new BoxDeveloperTokenAuth({ token }), mode: "developer-token" };
  const jwtFile = config.jwtConfigFile ?? (config.clientId ? undefined : env("BOX_JWT_CONFIG_FILE"));
  if (jwtFile) return { auth: jwtAuth(jwtFile, userId, enterpriseId), mode: "jwt" };
  const clientId = config.clientId ?? env("BOX_CLIENT_ID");
  if (clientId) {
    const clientSecret = config.clientSecret ?? env("BOX_CLIENT_SECRET");
    if (!clientSecret) throw invalid("clientSecret", "client credentials need a client secret (option clientSecret or env BOX_CLIENT_SECRET)");
    if (!userId && !enterpriseId) throw invalid("enterpriseId", "client credentials need enterpriseId or userId (or env BOX_ENTERPRISE_ID / BOX_USER_ID)");
    const ccg = new CcgConfig({ clientId, clientSecret, ...(userId ? { userId } : { enterpriseId }) });
    return { auth: new BoxCcgAuth({ config: ccg }), mode: "client-credentials" };
  }
  throw invalid(
    "developerToken",
    "no Box credentials: give developerToken, clientId + clientSecret + enterpriseId/userId, jwtConfigFile or client " +
      "(or env BOX_DEVELOPER_TOKEN, BOX_CLIENT_ID/BOX_CLIENT_SECRET, BOX_JWT_CONFIG_FILE)",
  );
}

/** What {@link createBoxClient} made. */
export interface CreatedBoxClient {
  client: BoxClient;
  mode: BoxAuthMode;
  /** Close the connections of a client built here (a caller's own client is left alone). */
  release: () => void;
}

function destroyAgent(agent: unknown): void {
  // The SDK's ProxyAgent keeps plain http(s) agents inside; each holds idle sockets.
  const a = agent as { destroy?: () => void; httpAgent?: { destroy?: () => void }; httpsAgent?: { destroy?: () => void } } | undefined;
  a?.httpAgent?.destroy?.();
  a?.httpsAgent?.destroy?.();
  a?.destroy?.();
}

/**
 * The BoxClient a backend uses: the caller's own, or one built from the config, with
 * base URLs, timeout and a {@link BoxRetryPolicy} applied. A caller's custom retry
 * strategy is kept; the SDK's default one is replaced (it ignores retry-after). Clients
 * built here keep connections alive: the SDK's default agent opens a new TCP and TLS
 * connection for every request.
 */
export function createBoxClient(config: BoxConfig): CreatedBoxClient {
  const policy = new BoxRetryPolicy({ retries: config.requestRetries, baseDelayMs: config.retryBaseDelayMs, maxDelayMs: config.retryMaxDelayMs });
  let client: BoxClient;
  let mode: BoxAuthMode;
  if (config.client) {
    mode = "client";
    const session = config.client.networkSession;
    client =
      session.retryStrategy instanceof BoxRetryStrategy
        ? new BoxClient({ auth: config.client.auth, networkSession: session.withRetryStrategy(policy) })
        : config.client;
  } else {
    const made = authFor(config);
    mode = made.mode;
    const session = new NetworkSession({ baseUrls: new BaseUrls({}), retryStrategy: policy }).withCustomAgentOptions({ keepAlive: true });
    client = new BoxClient({ auth: made.auth, networkSession: session });
  }
  if (config.baseUrl || config.uploadUrl || config.oauth2Url) {
    const current = client.networkSession.baseUrls;
    const strip = (u: string): string => u.replace(/\/+$/, "");
    client = client.withCustomBaseUrls({
      baseUrl: strip(config.baseUrl ?? current.baseUrl),
      uploadUrl: strip(config.uploadUrl ?? current.uploadUrl),
      oauth2Url: strip(config.oauth2Url ?? current.oauth2Url),
    });
  }
  // A caller's client keeps its own deadline; every other request gets ours (the SDK has none).
  if (!(config.client && (client.networkSession.timeoutConfig?.timeoutMs ?? 0) > 0)) client = client.withTimeouts({ timeoutMs: config.timeoutMs });
  const agent = client.networkSession.agent;
  return { client, mode, release: mode === "client" ? () => undefined : () => destroyAgent(agent) };
}
