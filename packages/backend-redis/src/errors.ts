import { setTimeout as sleep } from "node:timers/promises";
import { CorruptDataError, ThemisError, UnavailableError, backoffDelay } from "@themis/core";
import type { Endpoint } from "./connection.js";

/** The backend's registry name, used in every message. */
export const BACKEND = "redis";

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ECONNABORTED", "ENOTCONN"]);
// Redis error prefixes that say "not now": loading a dump, a busy script, a failover.
const TRANSIENT_REPLIES = ["LOADING", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "MASTERDOWN", "READONLY"];
const AUTH_REPLIES = ["NOAUTH", "WRONGPASS", "NOPERM"];

function replyCode(error: Error): string | undefined {
  return error.name === "ReplyError" ? /^[A-Z]+/.exec(error.message)?.[0] : undefined;
}

/**
 * True for failures that say nothing about the command itself: the connection dropped, the
 * client gave up waiting for a reconnection, the server is loading or failing over.
 * ioredis reports some of these only by message text; these are its fixed texts.
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && NETWORK_CODES.has(code)) return true;
  if (["MaxRetriesPerRequestError", "AbortError", "ClusterAllFailedError"].includes(error.name)) return true;
  if (error.message === "Connection is closed." || error.message === "Command timed out") return true;
  if (error.message.startsWith("Stream isn't writeable")) return true;
  const reply = replyCode(error);
  return reply !== undefined && TRANSIENT_REPLIES.includes(reply);
}

/**
 * A copy of a client error that is safe to keep as `cause`: its message with every secret
 * scrubbed, its name and code, and nothing else (ioredis attaches the failed command with
 * its arguments, which for AUTH hold the password).
 */
export function safeCause(error: unknown, secrets: readonly string[]): Error {
  const source = error instanceof Error ? error : new Error(String(error));
  const copy = new Error(scrub(source.message, secrets));
  copy.name = source.name;
  const code = (source as { code?: unknown }).code;
  if (typeof code === "string") (copy as Error & { code?: string }).code = code;
  copy.stack = `${copy.name}: ${copy.message}`;
  return copy;
}

/** `text` with every secret (and its URI-encoded form) replaced by "***". */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (!secret) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) out = out.split(form).join("***");
  }
  return out;
}

/** Turn a client error into a Themis error naming the server (never its password). */
export function translate(error: unknown, endpoint: Endpoint, secrets: readonly string[], doing: string): ThemisError {
  if (error instanceof ThemisError) return error;
  const cause = safeCause(error, secrets);
  const where = `Redis at ${endpoint.address}`;
  const reply = error instanceof Error ? replyCode(error) : undefined;
  if (reply && AUTH_REPLIES.includes(reply)) {
    const who = endpoint.username ? `user "${endpoint.username}"` : "the default user";
    return new UnavailableError(`${where} refused ${doing}: authentication failed or not permitted for ${who} (${reply}). Check username and password`, {
      backend: BACKEND,
      cause,
      retryable: false,
    });
  }
  if (reply === "WRONGTYPE") {
    return new CorruptDataError(`${where}: a key of this backend holds a value of another type while ${doing}; another application may use the same keys (change keyPrefix)`, {
      backend: BACKEND,
      cause,
    });
  }
  if (isTransient(error)) {
    const code = (error as { code?: unknown }).code;
    return new UnavailableError(`cannot reach ${where} while ${doing}${typeof code === "string" ? ` (${code})` : ""}: ${cause.message}`, { backend: BACKEND, cause });
  }
  return new UnavailableError(`${where} failed while ${doing}: ${cause.message}`, { backend: BACKEND, cause, retryable: false });
}

/** How long to wait before retry number `attempt` (1-based): jittered exponential backoff. */
export function retryDelay(attempt: number): number {
  return backoffDelay({ minDelayMs: 100, maxDelayMs: 2000 }, attempt);
}

/**
 * Run `operation`, retrying it after transient failures up to `retries` times. Only for
 * operations that are safe to repeat: reads, and the backend's idempotent write scripts.
 */
export async function withRetries<T>(retries: number, operation: () => Promise<T>, stop: () => boolean): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt > retries || !isTransient(error) || stop()) throw error;
      await sleep(retryDelay(attempt));
    }
  }
}
