import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { main } from "../src/main.js";
import { makeApp, themis, themisJson } from "./helpers.js";

function sink(): Writable & { text: string } {
  const stream = new Writable({
    write(chunk, _enc, done) {
      stream.text += String(chunk);
      done();
    },
  }) as Writable & { text: string };
  stream.text = "";
  return stream;
}

const app = makeApp([]);

const COMMANDS = [
  [],
  ["backends"],
  ["backends", "list"],
  ["backends", "validate"],
  ["backends", "schema"],
  ["backends", "create"],
  ["config"],
  ["doctor"],
  ["projects"],
  ["projects", "ls"],
  ["datasets"],
  ["datasets", "ls"],
  ["datasets", "show"],
  ["datasets", "export"],
  ["experiments"],
  ["experiments", "ls"],
  ["experiments", "show"],
  ["experiments", "export"],
  ["copy"],
  ["run"],
];

describe("usage", () => {
  // In-process (main() is what bin.js runs): one subprocess per command would only re-test Node's start-up.
  it.each(COMMANDS.map((c) => [c.join(" ") || "(root)", c]))("themis %s --help prints usage and exits 0", async (_name, command) => {
    const stdout = sink();
    const code = await main([...command, "--help"], { stdout, stderr: sink() });
    expect(code).toBe(0);
    expect(stdout.text).toMatch(/^Usage: themis/m);
    expect(stdout.text).toMatch(/--help/);
  });

  it("--help works the same through the executable", async () => {
    const { code, stdout } = await themis(app, ["datasets", "export", "--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: themis datasets export \[options\] <name>/m);
    expect(stdout).toMatch(/--format <format>/);
  });

  it("--version prints the package version", async () => {
    const { code, stdout } = await themis(app, ["--version"]);
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    ["an unknown command", ["bogus"]],
    ["a misspelled command", ["backend", "list"]],
    ["an unknown option", ["backends", "list", "--frobnicate"]],
    ["a missing argument", ["backends", "schema"]],
    ["a missing required option", ["copy", "p"]],
    ["an extra argument", ["backends", "list", "extra"]],
    ["a bad number", ["datasets", "show", "qa", "--limit", "lots"]],
    ["a zero limit", ["datasets", "show", "qa", "--limit", "0"]],
    ["a bad choice", ["datasets", "export", "qa", "--format", "xml"]],
    ["a bad key=value", ["datasets", "ls", "p", "--option", "novalue"]],
    ["a bad task spec", ["run", "./t.mjs#not-an-export", "-d", "a", "-e", "b", "-p", "p", "-s", "memory"]],
    ["a group without a subcommand", ["backends"]],
    ["no project anywhere", ["datasets", "ls", "--storage", "memory"]],
  ])("%s is a usage error: exit 2", async (_what, args) => {
    const { code, stderr } = await themis(app, args);
    expect(code).toBe(2);
    expect(stderr.length).toBeGreaterThan(0);
  });

  it("a misspelled command gets a suggestion", async () => {
    const { stderr } = await themis(app, ["backend"]);
    expect(stderr).toMatch(/Did you mean backends\?/i);
  });

  it("usage errors are JSON in --json mode", async () => {
    const { code, json } = await themisJson(app, ["backends", "list", "--frobnicate"]);
    expect(code).toBe(2);
    expect(json.error.code).toBe("ERR_THEMIS_USAGE");
  });

  it("a failure is exit 1 with a coded JSON error", async () => {
    const { code, json } = await themisJson(app, ["backends", "schema", "memroy"]);
    expect(code).toBe(1);
    expect(json.error.code).toBe("ERR_THEMIS_UNKNOWN_BACKEND");
    expect(json.error.message).toMatch(/did you mean "memory"/i);
  });
});
