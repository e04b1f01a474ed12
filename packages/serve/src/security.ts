import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";

/** A fresh random access token (URL-safe). */
export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

const digest = (text: string): Buffer => createHash("sha256").update(text).digest();

/** Compare without leaking where a wrong token differs (hash first: equal lengths). */
export function tokenMatches(given: string | undefined, token: string): boolean {
  return given !== undefined && timingSafeEqual(digest(given), digest(token));
}

const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];

/**
 * The Host header values the server answers (DNS rebinding: a page on evil.example whose
 * name resolves to 127.0.0.1 reaches us with `Host: evil.example`, and is refused). When
 * bound to loopback, the loopback names on our port; otherwise the bound host too, plus
 * any names the user allowed.
 */
export function allowedHosts(host: string, port: number, extra: readonly string[] = []): Set<string> {
  const bound = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const names = new Set([...LOOPBACK_NAMES, bound, ...extra].map((n) => n.toLowerCase()));
  const withPort = [...names].map((n) => `${n}:${port}`);
  // Browsers leave the default port out of the Host header.
  return new Set(port === 80 ? [...withPort, ...names] : withPort);
}

/** 403 for a request whose Host header is not on the list (computed once the port is known). */
export function hostGuard(allowed: () => Set<string>): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header("host")?.toLowerCase();
    if (host === undefined || !allowed().has(host)) return c.json({ error: { code: "ERR_SERVE_BAD_HOST", message: "this Host is not allowed" } }, 403);
    await next();
  };
}

/**
 * Token check. `/?token=T` with the right token sets an HttpOnly, SameSite=Strict cookie
 * and redirects to `/` (the token leaves the address bar and history); after that the
 * cookie (or `Authorization: Bearer T` for scripts) is required on every request: 401 without.
 * The cookie's name holds the port: cookies are shared by every port of a host.
 */
export function tokenGuard(token: string, port: () => number): MiddlewareHandler {
  return async (c, next) => {
    const cookieName = `themis_serve_${port()}`;
    const fromQuery = c.req.query("token");
    if (fromQuery !== undefined && c.req.method === "GET" && c.req.path === "/" && tokenMatches(fromQuery, token)) {
      setCookie(c, cookieName, token, { httpOnly: true, sameSite: "Strict", path: "/" });
      return c.redirect("/", 302);
    }
    const bearer = c.req.header("authorization")?.match(/^Bearer (.+)$/)?.[1];
    if (tokenMatches(getCookie(c, cookieName), token) || tokenMatches(bearer, token)) return next();
    if (c.req.path.startsWith("/api/")) return c.json({ error: { code: "ERR_SERVE_UNAUTHORIZED", message: "a valid token is required" } }, 401);
    return c.text("401: open the URL with the token that `themis serve` printed.", 401);
  };
}

/** Headers that keep stored values inert even if one reached the page as markup. */
export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  c.header(
    "Content-Security-Policy",
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  );
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "no-referrer");
  c.header("X-Frame-Options", "DENY");
  c.header("Cross-Origin-Opener-Policy", "same-origin");
  c.header("Cross-Origin-Resource-Policy", "same-origin");
  if (!c.res.headers.has("Cache-Control")) c.header("Cache-Control", "no-store");
};
