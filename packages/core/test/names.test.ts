import { describe, expect, it } from "vitest";
import { validateName } from "../src/index.js";

describe("validateName", () => {
  it.each([
    ["", "empty"],
    ["../x", "parent traversal"],
    ["..", "dot-dot"],
    ["a/b", "slash"],
    ["a\\b", "backslash"],
    ["/abs", "absolute path"],
    ["x\u0000y", "NUL"],
    ["line\nbreak", "newline"],
    ["del\u007f", "DEL"],
    ["CON", "Windows device"],
    ["com1.csv", "Windows device with extension"],
    [".hidden", "leading dot"],
    ["-flag", "leading dash"],
    ["trailing.", "trailing dot"],
    ["trailing ", "trailing space"],
    ["__runs", "reserved prefix"],
    ["a:b", "colon"],
    ["a*b", "wildcard"],
    ["x".repeat(129), "too long"],
  ])("rejects %j (%s) with ERR_THEMIS_INVALID_NAME", (name) => {
    expect(() => validateName("dataset", name)).toThrow(expect.objectContaining({ code: "ERR_THEMIS_INVALID_NAME" }));
  });

  it("rejects non-strings", () => {
    expect(() => validateName("project", 42)).toThrow(expect.objectContaining({ code: "ERR_THEMIS_INVALID_NAME" }));
  });

  it.each(["qa", "my_project", "v1.2-final", "with space", "日本語", "_private", "x".repeat(128)])("accepts %j", (name) => {
    expect(() => validateName("project", name)).not.toThrow();
  });

  it("says what and why in the message", () => {
    expect(() => validateName("experiment", "../x")).toThrow(/invalid experiment name "\.\.\/x"/);
  });
});
