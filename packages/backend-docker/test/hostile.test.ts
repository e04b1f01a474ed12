// Hostile input without a Docker engine: durations past Node's timer limit, and a module
// that sits directly in the home folder.
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseBackendConfig } from "@themis/core";
import { dockerBackend } from "../src/index.ts";
import { parseDuration } from "../src/duration.ts";
import { locateModule } from "../src/module-job.ts";

describe("durations past Node's timer limit", () => {
  it('timeout "1000h" (or 3e9 ms) is INVALID_CONFIG, not a timer that fires after 1 ms', () => {
    for (const timeout of ["1000h", 3e9]) {
      expect(() => parseBackendConfig(dockerBackend, { image: "x", timeout })).toThrow(expect.objectContaining({ code: "ERR_THEMIS_INVALID_CONFIG", issues: [expect.objectContaining({ path: "timeout" })] }));
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
    expect(() => locateModule({ kind: "module", module: path.join(home, "task.mjs"), input: null }, {})).toThrow(expect.objectContaining({ code: "ERR_THEMIS_JOB_FAILED" }));
  });

  it("a module in a folder of its own under home mounts that folder; an explicit moduleRoot is honoured", () => {
    const home = fakeHome();
    mkdirSync(path.join(home, "evals"));
    writeFileSync(path.join(home, "evals", "task.mjs"), "export default () => 1;\n");
    expect(locateModule({ kind: "module", module: path.join(home, "evals", "task.mjs"), input: null }, {})).toMatchObject({ where: "host", mountRoot: path.join(home, "evals") });
    writeFileSync(path.join(home, "task.mjs"), "export default () => 1;\n");
    expect(locateModule({ kind: "module", module: path.join(home, "task.mjs"), input: null }, { moduleRoot: home })).toMatchObject({ where: "host", mountRoot: home });
  });
});
