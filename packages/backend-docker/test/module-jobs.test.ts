// Module jobs: the Node runner inside the container, the module's folder mounted read-only
// at its own path, modules that live only in the image, and the stop signal.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DockerExecutor } from "../src/index.ts";
import { dockerTestEnv } from "./env.ts";
import { containersOf, createDockerExecutor, engineClient, runJob } from "./helpers.ts";

const env = dockerTestEnv();

describe.skipIf(!env)("module jobs in containers", () => {
  let root: string;
  let pkg: string;
  let out: string;
  const executors: DockerExecutor[] = [];
  const make = async (config: Parameters<typeof createDockerExecutor>[1] = {}) => {
    const executor = await createDockerExecutor(env!, { image: env!.images.node, killGraceMs: 3000, ...config });
    executors.push(executor);
    return executor;
  };

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), "themis-docker-modules-"));
    chmodSync(root, 0o755);
    // A small package: a module in src/ importing a helper from lib/ (outside src/).
    pkg = path.join(root, "pkg");
    mkdirSync(path.join(pkg, "src"), { recursive: true });
    mkdirSync(path.join(pkg, "lib"));
    writeFileSync(path.join(pkg, "package.json"), JSON.stringify({ name: "fixture-pkg", type: "module" }));
    writeFileSync(path.join(pkg, "lib", "helper.js"), "export const triple = (n) => n * 3;\n");
    writeFileSync(
      path.join(pkg, "src", "task.js"),
      [
        'import { writeFileSync } from "node:fs";',
        'import { triple } from "../lib/helper.js";',
        "export function score(input) { return { tripled: triple(input.n), node: process.version, uid: process.getuid() }; }",
        "export function writeBeside() { writeFileSync(new URL('./written.txt', import.meta.url), 'x'); return 'wrote'; }",
        "export function waitForStop(_input, { signal }) {",
        "  const busy = setInterval(() => {}, 1000);",
        "  return new Promise((_resolve, reject) => signal.addEventListener('abort', () => {",
        "    clearInterval(busy); writeFileSync('/out/cleaned-up', signal.reason.code); reject(signal.reason);",
        "  }));",
        "}",
      ].join("\n"),
    );
    out = path.join(root, "out");
    mkdirSync(out);
    chmodSync(out, 0o777);
  });

  afterAll(async () => {
    for (const executor of executors) await executor.close();
    for (const executor of executors) expect(await containersOf(env!, executor.id)).toEqual([]);
    rmSync(root, { recursive: true, force: true });
  });

  it("calls the export with JSON input as the (non-root) job user; relative imports across the package work", async () => {
    const executor = await make();
    const result = await runJob(executor, { kind: "module", module: path.join(pkg, "src", "task.js"), export: "score", input: { n: 14 } });
    expect(result.ok && result.value).toEqual({ tripled: 42, node: process.version, uid: 65534 });
  });

  it("resolves relative module paths from resolveFrom, and file: URLs", async () => {
    const executor = await make();
    const relative = await runJob(executor, { kind: "module", module: "./src/task.js", resolveFrom: pkg, export: "score", input: { n: 1 } });
    expect(relative.ok && (relative.value as { tripled: number }).tripled).toBe(3);
    const url = new URL(`file://${path.join(pkg, "src", "task.js")}`).href;
    const byUrl = await runJob(executor, { kind: "module", module: url, export: "score", input: { n: 2 } });
    expect(byUrl.ok && (byUrl.value as { tripled: number }).tripled).toBe(6);
  });

  it("mounts the module's folder read-only", async () => {
    const executor = await make({ user: "0" });
    const result = await runJob(executor, { kind: "module", module: path.join(pkg, "src", "task.js"), export: "writeBeside" });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe("EROFS");
    expect(existsSync(path.join(pkg, "src", "written.txt"))).toBe(false);
  });

  it("a stopped job's export sees its signal aborted (SIGTERM) and can clean up within the grace period", async () => {
    const executor = await make({ volumes: [`${out}:/out`], timeout: "4s" });
    const result = await runJob(executor, { kind: "module", module: path.join(pkg, "src", "task.js"), export: "waitForStop" });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe("ERR_THEMIS_TIMEOUT");
    expect(existsSync(path.join(out, "cleaned-up"))).toBe(true);
  });

  it("fails early, saying why, when the job user cannot read the module's folder", async () => {
    const secret = mkdtempSync(path.join(root, "private-"));
    chmodSync(secret, 0o700);
    writeFileSync(path.join(secret, "m.mjs"), "export default () => 1;\n");
    const executor = await make();
    const result = await runJob(executor, { kind: "module", module: path.join(secret, "m.mjs") });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe("ERR_THEMIS_JOB_FAILED");
    expect(await containersOf(env!, executor.id)).toEqual([]);
  });

  it('moduleTransfer "copy": the folder is copied in read-only (what remote engines get)', async () => {
    const executor = await make({ moduleTransfer: "copy" });
    const result = await runJob(executor, { kind: "module", module: path.join(pkg, "src", "task.js"), export: "score", input: { n: 5 } });
    expect(result.ok && result.value).toMatchObject({ tripled: 15 });
    const write = await runJob(executor, { kind: "module", module: path.join(pkg, "src", "task.js"), export: "writeBeside" });
    expect(write.ok).toBe(false);
    if (!write.ok) expect(write.error.code).toBe("EACCES");
    // A private folder is no obstacle to a copy: the job user reads the copy, not the host folder.
    const secret = mkdtempSync(path.join(root, "private-copy-"));
    writeFileSync(path.join(secret, "m.mjs"), "export default (n) => n + 1;\n");
    const copied = await runJob(executor, { kind: "module", module: path.join(secret, "m.mjs"), input: 41 });
    expect(copied.ok && copied.value).toBe(42);
  });

  it("runs a module that exists only inside the image", async () => {
    const context = mkdtempSync(path.join(root, "image-"));
    writeFileSync(path.join(context, "inside.mjs"), "export default (input) => ({ inside: true, input });\n");
    writeFileSync(path.join(context, "Dockerfile"), `FROM ${env!.images.node}\nCOPY inside.mjs /opt/themis-fixture/inside.mjs\n`);
    const executor = await make({ image: undefined, dockerfile: path.join(context, "Dockerfile") });
    expect(existsSync("/opt/themis-fixture/inside.mjs")).toBe(false);
    const result = await runJob(executor, { kind: "module", module: "/opt/themis-fixture/inside.mjs", input: [1, "1"] });
    expect(result.ok && result.value).toEqual({ inside: true, input: [1, "1"] });
    await engineClient(env!)
      .getImage(executor.image.image)
      .remove({ force: true })
      .catch(() => undefined);
  });

  it("an image without node gives an error outcome, not a hang", async () => {
    const executor = await make({ image: env!.images.busybox });
    const result = await runJob(executor, { kind: "module", module: path.join(pkg, "src", "task.js"), export: "score", input: { n: 1 } });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe("ERR_THEMIS_JOB_FAILED");
  });
});
