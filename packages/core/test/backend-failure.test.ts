import { describe, expect, it } from "vitest";
import { ThemisError, UnavailableError } from "@themis/core";
import { type FailureKind, asThemisError, backendError, failureKindOfStatus, isNetworkError } from "@themis/core/backend";

// One meaning per code: the table of core's README "Errors", held here.
const EXPECTED: Record<FailureKind, { code: string; retryable: boolean }> = {
  unavailable: { code: "ERR_THEMIS_UNAVAILABLE", retryable: true },
  refused: { code: "ERR_THEMIS_UNAVAILABLE", retryable: false },
  auth: { code: "ERR_THEMIS_INVALID_CONFIG", retryable: false },
  config: { code: "ERR_THEMIS_INVALID_CONFIG", retryable: false },
  "not-found": { code: "ERR_THEMIS_NOT_FOUND", retryable: false },
  "already-exists": { code: "ERR_THEMIS_ALREADY_EXISTS", retryable: false },
  conflict: { code: "ERR_THEMIS_CONFLICT", retryable: true },
  "too-large": { code: "ERR_THEMIS_TOO_LARGE", retryable: false },
  corrupt: { code: "ERR_THEMIS_CORRUPT_DATA", retryable: false },
};

describe("backendError: one code per kind of failure", () => {
  for (const [kind, expected] of Object.entries(EXPECTED)) {
    it(`${kind} -> ${expected.code}${expected.retryable ? " (retryable)" : ""}`, () => {
      const cause = new Error("socket said no");
      const error = backendError(kind as FailureKind, "what failed; what to do", { backend: "my/backend", cause });
      expect(error).toBeInstanceOf(ThemisError);
      expect(error).toMatchObject({ ...expected, backend: "my/backend", cause });
      expect(error.message.startsWith("[themis] [my/backend] what failed; what to do")).toBe(true);
    });
  }

  it("auth names the config field to fix (credentials unless told)", () => {
    expect(backendError("auth", "m", { backend: "b" })).toMatchObject({ issues: [{ path: "credentials" }] });
    expect(backendError("auth", "m", { backend: "b", field: "password", issue: "missing" })).toMatchObject({
      issues: [{ path: "password", message: "missing" }],
    });
  });
});

describe("failureKindOfStatus", () => {
  it.each([
    [undefined, "unavailable"],
    [0, "unavailable"],
    [401, "auth"],
    [403, "auth"],
    [404, "not-found"],
    [408, "unavailable"],
    [409, "conflict"],
    [412, "conflict"],
    [413, "too-large"],
    [429, "unavailable"],
    [400, "refused"],
    [500, "unavailable"],
    [503, "unavailable"],
  ] as const)("HTTP %s is %s", (status, kind) => {
    expect(failureKindOfStatus(status)).toBe(kind);
  });
});

describe("isNetworkError", () => {
  const withCode = (code: string): Error => Object.assign(new Error(code), { code });
  it("sees socket codes, also wrapped in a cause (fetch's TypeError)", () => {
    expect(isNetworkError(withCode("ECONNREFUSED"))).toBe(true);
    expect(isNetworkError(new TypeError("fetch failed", { cause: withCode("ECONNRESET") }))).toBe(true);
  });
  it("is false for other errors and non-errors", () => {
    expect(isNetworkError(withCode("ENOENT"))).toBe(false);
    expect(isNetworkError(new Error("ECONNREFUSED"))).toBe(false);
    expect(isNetworkError("ECONNREFUSED")).toBe(false);
    expect(isNetworkError(null)).toBe(false);
  });
});

describe("asThemisError", () => {
  it("passes Themis errors through, also from another copy of core (matched by code)", () => {
    const own = new UnavailableError("x");
    expect(asThemisError(own)).toBe(own);
    const foreign = Object.assign(new Error("y"), { code: "ERR_THEMIS_CONFLICT" });
    expect(asThemisError(foreign)).toBe(foreign);
  });
  it("is undefined for anything else", () => {
    expect(asThemisError(Object.assign(new Error("z"), { code: "ECONNRESET" }))).toBeUndefined();
    expect(asThemisError({ code: "ERR_THEMIS_CONFLICT" })).toBeUndefined();
  });
});
