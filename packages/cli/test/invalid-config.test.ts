import { mkdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { makeApp, themisJson } from "./helpers.js";

/** A runner config with one field changed (YAML text). */
const runner = (extra: string): string => `type: acme/runner\nimage: busybox\n${extra}\n`;

// Each case: a file, what `themis backends validate` must report (field path and a reason).
const CASES: [what: string, file: string, text: string, path: string, reason: RegExp][] = [
  ["wrong type", "r.yaml", runner("timeout: soon"), "timeout", /expected number/i],
  ["unknown key, did-you-mean", "r.yaml", runner("timout: 60"), "timout", /did you mean "timeout"/],
  ["unknown key, no close match", "r.yaml", runner("colour: red"), "colour", /unknown option/],
  ["unknown backend, did-you-mean", "r.yaml", "type: acme/runer\nimage: x\n", "type", /did you mean "acme\/runner"/i],
  ["missing required field", "r.yaml", "type: acme/runner\n", "image", /expected string/i],
  ["timeout below 60", "r.yaml", runner("timeout: 59"), "timeout", />=\s*60/],
  ["timeout above 86400", "r.yaml", runner("timeout: 86401"), "timeout", /<=\s*86400/],
  ["cpu 0", "r.yaml", runner("cpu: 0"), "cpu", />=\s*1/],
  ["cpu 129", "r.yaml", runner("cpu: 129"), "cpu", /<=\s*128/],
  ["cpu not whole", "r.yaml", runner("cpu: 1.5"), "cpu", /integer|int/i],
  ["bad memory string", "r.yaml", runner("memory: lots"), "memory", /memory size/],
  ["negative memory", "r.yaml", runner('memory: "-1g"'), "memory", /memory size/],
  ["volume without container path", "r.yaml", runner("volumes: [/data]"), "volumes[0]", /host:\/container/],
  ["volume with a bad mode", "r.yaml", runner("volumes: ['/a:/b:rx']"), "volumes[0]", /host:\/container/],
  ["value not in the enum", "r.yaml", runner("mode: turbo"), "mode", /safe|fast/],
  ["unset environment variable", "r.yaml", runner("token: ${env:THEMIS_TEST_NOT_SET}"), "token", /THEMIS_TEST_NOT_SET is not set/],
  ["type is not a string", "r.yaml", "type: 5\n", "type", /missing execution|missing storage/],
  ["bad YAML", "bad.yaml", "type: acme/runner\n  image: [unclosed\n", "", /YAML/],
  ["bad JSON", "bad.json", '{ "type": "acme/runner", }', "", /JSON/],
  ["themis config: misspelled section", "themis.config.yaml", "storge: memory\n", "storge", /did you mean "storage"/],
  ["themis config: execution backend as storage", "themis.config.yaml", "storage: acme/runner\n", "storage", /execution backend/],
  ["themis config: nested option out of range", "themis.config.yaml", "execution:\n  type: acme/runner\n  image: x\n  cpu: 0\n", "execution.cpu", />=\s*1/],
  ["themis config: not an object", "themis.config.yaml", "- storage\n- memory\n", "", /expected an object/],
  ["themis config: allow typo", "themis.config.yaml", "backends:\n  allow: [acme/runnr]\n", "backends.allow[0]", /did you mean "acme\/runner"/],
  ["themis config: bad project name", "themis.config.yaml", "project: ../etc\n", "project", /invalid project name/],
];

describe.concurrent("themis backends validate: invalid configs", () => {
  it.each(CASES)("%s", async (_what, file, text, fieldPath, reason) => {
    const app = makeApp(["acme-runner"], { [file]: text });
    const { code, json } = await themisJson(app, ["backends", "validate", file]);
    expect(code).toBe(1);
    expect(json.error.code).toBe("ERR_THEMIS_INVALID_CONFIG");
    expect(json.error.file).toBe(path.join(app, file));
    const issue = json.error.issues.find((i: { path: string }) => i.path === fieldPath);
    expect(issue, JSON.stringify(json.error.issues)).toBeDefined();
    expect(issue.message).toMatch(reason);
  });

  it("every problem is listed at once, and named in the human message", async () => {
    const app = makeApp(["acme-runner"], { "r.yaml": "type: acme/runner\ncpu: 0\ntimeout: 10\nmemory: x\n" });
    const { code, json } = await themisJson(app, ["backends", "validate", "r.yaml"]);
    expect(code).toBe(1);
    expect(json.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["cpu", "image", "memory", "timeout"]);
    expect(json.error.message).toContain(path.join(app, "r.yaml"));
  });

  it("a file that cannot be read (missing, a directory) fails with exit 1", async () => {
    const app = makeApp([]);
    mkdirSync(path.join(app, "dir.yaml"));
    for (const file of ["missing.yaml", "dir.yaml"]) {
      const { code, json } = await themisJson(app, ["backends", "validate", file]);
      expect(code).toBe(1);
      expect(json.error).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", file: path.join(app, file) });
    }
  });

  it("an invalid themis config found by search fails the commands that need it", async () => {
    const app = makeApp(["acme-runner"], { "themis.config.yaml": "storage:\n  type: memory\n  namespce: x\n" });
    const { code, json } = await themisJson(app, ["config"]);
    expect(code).toBe(1);
    expect(json.error.issues).toEqual([{ path: "storage.namespce", message: expect.stringMatching(/did you mean "namespace"/) }]);
  });
});
