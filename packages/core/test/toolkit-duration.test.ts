import { describe, expect, it } from "vitest";
import { MAX_TIMEOUT_MS, durationSchema, parseDuration } from "@themis/core/backend";

describe("durations in backend configs", () => {
  it("reads milliseconds and unit strings, refuses what a timer cannot hold", () => {
    expect(parseDuration(" 90s ")).toBe(90_000);
    expect(parseDuration("1.5H")).toBe(5_400_000);
    expect(parseDuration(MAX_TIMEOUT_MS)).toBe(MAX_TIMEOUT_MS);
    expect(parseDuration(MAX_TIMEOUT_MS + 1)).toBeUndefined();
    expect(parseDuration("-5s")).toBeUndefined();
    expect(parseDuration("5 minutes")).toBeUndefined();
  });

  it("the schema keeps the value as written and explains a bad one", () => {
    expect(durationSchema.parse("5m")).toBe("5m");
    const bad = durationSchema.safeParse("soon");
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/duration such as "30s"/);
  });
});
