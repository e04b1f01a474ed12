// Hostile input without a Docker engine: durations past Node's timer limit, and a module
// that sits directly in the home folder.
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseBackendConfig } from "@themis/core";
import { dockerBackend } from "../src/index.ts";
import { parseDuration } from "@themis/core/backend";
import { locateModule } from "../src/module-job.ts";
import { connectEngine } from "../src/engine.ts";

describe("durations past Node's timer limit", () => {
  it('timeout "1000h" (or 3e9 ms) is INVALID_CONFIG, not a timer that fires after 1 ms', () => {
    for (const timeout of ["1000h", 3e9]) {
      expect(() => parseBackendConfig(dockerBackend, { image: "x", timeout })).toThrow(
        expect.objectContaining({ code: "ERR_THEMIS_INVALID_CONFIG", issues: [expect.objectContaining({ path: "timeout" })] }),
      );
    }
    expect(() => parseBackendConfig(dockerBackend, { image: "x", killGraceMs: 3e9 })).toThrow(expect.objectContaining({ code: "ERR_THEMIS_INVALID_CONFIG" }));
    expect(parseDuration("596h")).toBe(596 * 3_600_000);
    expect(parseDuration("597h")).toBeUndefined();
  });
});

describe("a module directly in the home folder", () => {
  const savedHome = process.env.HOME;
  afterEach(() => {
    process.env.HOME = savedHome;
  });

  const fakeHome = (): string => {
    const home = realpathSync(mkdtempSync(path.join(tmpdir(), "themis-home-")));
    process.env.HOME = home;
    return home;
  };

  it("is refused instead of mounting the whole home folder", () => {
    const home = fakeHome();
    writeFileSync(path.join(home, "task.mjs"), "export default () => 1;\n");
    writeFileSync(path.join(home, ".netrc"), "machine x password secret\n");
    expect(() => locateModule({ kind: "module", module: path.join(home, "task.mjs"), input: null }, {})).toThrow(
      expect.objectContaining({ code: "ERR_THEMIS_JOB_FAILED", message: expect.stringMatching(/home folder/) }),
    );
    // Also when the home folder holds a package.json (it is never a module's package root).
    writeFileSync(path.join(home, "package.json"), "{}");
    expect(() => locateModule({ kind: "module", module: path.join(home, "task.mjs"), input: null }, {})).toThrow(
      expect.objectContaining({ code: "ERR_THEMIS_JOB_FAILED" }),
    );
  });

  it("a module in a folder of its own under home mounts that folder; an explicit moduleRoot is honoured", () => {
    const home = fakeHome();
    mkdirSync(path.join(home, "evals"));
    writeFileSync(path.join(home, "evals", "task.mjs"), "export default () => 1;\n");
    expect(locateModule({ kind: "module", module: path.join(home, "evals", "task.mjs"), input: null }, {})).toMatchObject({
      where: "host",
      mountRoot: path.join(home, "evals"),
    });
    writeFileSync(path.join(home, "task.mjs"), "export default () => 1;\n");
    expect(locateModule({ kind: "module", module: path.join(home, "task.mjs"), input: null }, { moduleRoot: home })).toMatchObject({
      where: "host",
      mountRoot: home,
    });
  });
});

describe("engine addresses", () => {
  it("an address that does not parse is INVALID_CONFIG without its password", () => {
    const error = (() => {
      try {
        connectEngine("ssh://deploy:S3CRET-77@[bad");
      } catch (e) {
        return e as Error & { code: string };
      }
    })();
    expect(error).toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG" });
    expect(JSON.stringify({ m: error?.message, i: (error as { issues?: unknown }).issues })).not.toContain("S3CRET-77");
  });

  it("a malformed percent-escape is INVALID_CONFIG, never a URIError", () => {
    expect(() => connectEngine("ssh://dep%ZZloy@build.example")).toThrow(expect.objectContaining({ code: "ERR_THEMIS_INVALID_CONFIG" }));
    expect(() => connectEngine("unix:///tmp/do%ZZcker.sock")).toThrow(expect.objectContaining({ code: "ERR_THEMIS_INVALID_CONFIG" }));
  });
});
