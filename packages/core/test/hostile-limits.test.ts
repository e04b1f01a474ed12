import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  DeadlineError,
  MAX_TIMEOUT_MS,
  Project,
  localBackend,
  map,
  parseBackendConfig,
  timeoutMsSchema,
  toJsonRow,
  validateName,
  withDeadline,
} from "../src/index.js";

describe("names are limited in UTF-8 bytes, not only characters", () => {
  it("100 CJK characters (300 bytes) is INVALID_NAME before any backend sees it", async () => {
    const name = "漢".repeat(100);
    expect(() => validateName("dataset", name)).toThrow(expect.objectContaining({ code: "ERR_THEMIS_INVALID_NAME" }));
    const project = await Project.create("p", "memory", { namespace: "names-bytes" });
    await expect(project.createDataset(name)).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_NAME" });
    await project.close();
  });

  it("66 CJK characters (198 bytes) are fine", () => {
    expect(() => validateName("dataset", "漢".repeat(66))).not.toThrow();
  });
});

describe("lone surrogates are refused, never silently changed", () => {
  it("in a value, a nested value and a key: INVALID_ROW naming each path", () => {
    const error = (() => {
      try {
        toJsonRow({ a: "x\uD800y", nested: { list: ["ok", "\uDC00"] }, "k\uD83D": 1 });
      } catch (e) {
        return e;
      }
    })() as { code: string; issues: { path: string }[] };
    expect(error.code).toBe("ERR_THEMIS_INVALID_ROW");
    expect(error.issues.map((i) => i.path)).toEqual(["a", "nested.list[1]", "k\uFFFD"]);
  });

  it("a well-formed pair (an emoji) is kept", () => {
    expect(toJsonRow({ a: "x😀y" })).toEqual({ a: "x😀y" });
  });

  it("append and update refuse them on every backend (memory here)", async () => {
    const project = await Project.create("p", "memory", { namespace: "surrogates" });
    const qa = await project.createDataset("qa");
    await expect(qa.append({ q: "x\uD800y" })).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_ROW" });
    const id = await qa.append({ q: "fine" });
    await expect(qa.update(id, { q: "\uDFFF" })).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_ROW" });
    expect(await qa.load()).toEqual([{ _row_id: id, q: "fine" }]);
    await project.close();
  });
});

describe("durations past Node's timer limit", () => {
  it("map refuses a timeout above 2^31-1 ms (it would fire after 1 ms)", () => {
    expect(() => map(async () => 1, [1], { timeout: 3e9 })).toThrow(RangeError);
    expect(() => map(async () => 1, [1], { timeout: MAX_TIMEOUT_MS })).not.toThrow();
    expect(() => map(async () => 1, [1], { retries: { retries: 1, maxDelayMs: 3e9 } })).toThrow(RangeError);
  });

  it("the local executor's own durations are bounded too", () => {
    for (const field of ["killGraceMs", "idleTimeoutMs"]) {
      expect(() => parseBackendConfig(localBackend, { [field]: 3e9 })).toThrow(expect.objectContaining({ code: "ERR_THEMIS_INVALID_CONFIG" }));
    }
  });

  it("timeoutMsSchema is the range a backend's config fields use", () => {
    const schema = z.strictObject({ timeoutMs: timeoutMsSchema });
    expect(schema.safeParse({ timeoutMs: 3e9 }).success).toBe(false);
    expect(schema.safeParse({ timeoutMs: 0 }).success).toBe(false);
    expect(schema.safeParse({ timeoutMs: MAX_TIMEOUT_MS }).success).toBe(true);
  });

  it("withDeadline: TIMEOUT for work that never settles, the value otherwise", async () => {
    let released = false;
    const never = new Promise<never>(() => undefined);
    const error = await withDeadline(never, 50, "talking to a silent server", { backend: "x", onTimeout: () => (released = true) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeadlineError);
    expect(error).toMatchObject({ code: "ERR_THEMIS_TIMEOUT", backend: "x", retryable: true });
    expect(released).toBe(true);
    expect(await withDeadline(Promise.resolve(7), 60_000, "quick")).toBe(7);
    await expect(withDeadline(Promise.resolve(7), 3e9, "too long")).rejects.toBeInstanceOf(RangeError);
  });
});
