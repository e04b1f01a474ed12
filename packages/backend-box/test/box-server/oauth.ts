import { createPublicKey, verify } from "node:crypto";
import { randomKey } from "./state.ts";

/** An app registered with the stand-in server, as in Box's developer console. */
export interface BoxApp {
  clientId: string;
  clientSecret: string;
  /** PEM public key for JWT auth ("Add and manage public keys" in the console). */
  publicKey?: string;
  /** The enterprise the app is authorized in. */
  enterpriseId?: string;
}

/** A `POST /oauth2/token` answer: `[status, JSON body]`. */
type TokenAnswer = [number, Record<string, unknown>];

const fail = (error: string, description: string): TokenAnswer => [400, { error, error_description: description }];

/**
 * Box's token endpoint for the two server-side grants: client credentials (CCG) and JWT
 * bearer (https://developer.box.com/reference/post-oauth2-token/). Issued tokens are
 * added to `tokens`.
 */
export function grantToken(form: URLSearchParams, apps: readonly BoxApp[], tokens: Set<string>): TokenAnswer {
  const app = apps.find((a) => a.clientId === form.get("client_id"));
  if (!app || app.clientSecret !== form.get("client_secret")) return fail("invalid_client", "The client credentials are invalid");
  const grant = form.get("grant_type");
  if (grant === "client_credentials") {
    const type = form.get("box_subject_type");
    const id = form.get("box_subject_id");
    if (type !== "enterprise" && type !== "user") return fail("invalid_request", "box_subject_type must be enterprise or user");
    if (type === "enterprise" && id !== app.enterpriseId) return fail("invalid_grant", "Grant credentials are invalid");
    if (!id) return fail("invalid_request", "box_subject_id is required");
  } else if (grant === "urn:ietf:params:oauth:grant-type:jwt-bearer") {
    const problem = jwtProblem(form.get("assertion"), app);
    if (problem) return fail("invalid_grant", problem);
  } else {
    return fail("unsupported_grant_type", "Grant type is not supported");
  }
  const token = randomKey(16);
  tokens.add(token);
  return [200, { access_token: token, expires_in: 3600, token_type: "bearer", restricted_to: [] }];
}

function jwtProblem(assertion: string | null, app: BoxApp): string | undefined {
  if (!assertion || !app.publicKey) return "JWT is not set up for this app";
  const [header, payload, signature] = assertion.split(".");
  if (!header || !payload || !signature) return "Invalid JWT";
  const ok = verify("sha256", Buffer.from(`${header}.${payload}`), createPublicKey(app.publicKey), Buffer.from(signature, "base64url"));
  if (!ok) return "Signature verification error";
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Record<string, unknown>;
  if (claims.iss !== app.clientId) return "Invalid issuer";
  if (claims.aud !== "https://api.box.com/oauth2/token") return "Invalid audience";
  if (claims.box_sub_type !== "enterprise" && claims.box_sub_type !== "user") return "Invalid box_sub_type";
  if (typeof claims.exp !== "number" || claims.exp * 1000 < Date.now()) return "Expired JWT";
  return undefined;
}
