// `themis worker --execution bullmq`: the CLI of a user's app runs jobs, logs one JSON line
// per state change (never the password), and exits 0 on SIGTERM.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Task, map } from "@themis/core";
import { afterAll, describe, expect, it } from "vitest";
import { RedisServer, redisServerInstalled } from "../../backend-redis/test/support/redis-server.ts";
import { requireService } from "@themis/conformance";
import { collect, waitFor } from "./support/collect.ts";
import { createExecutor, testConfig } from "./support/env.ts";
import { writeFixture } from "./support/fixture.ts";

const packages = fileURLToPath(new URL("../../", import.meta.url));
const BIN = path.join(packages, "cli", "dist", "bin.js");
const binary = requireService("redis-server", redisServerInstalled(), "redis-server is not installed (apt-get install redis-server)");

/** A user's app folder that depends on @themis/backend-bullmq (symlinked, as npm lays it out). */
function makeApp(): string {
  const app = realpathSync(mkdtempSync(path.join(tmpdir(), "themis-bullmq-app-")));
  for (const name of ["core", "backend-bullmq"]) {
    mkdirSync(path.join(app, "node_modules", "@themis"), { recursive: true });
    symlinkSync(path.join(packages, name), path.join(app, "node_modules", "@themis", name), "dir");
  }
  writeFileSync(
    path.join(app, "package.json"),
    JSON.stringify({ name: "app", type: "module", dependencies: { "@themis/core": "*", "@themis/backend-bullmq": "*" } }),
  );
  return app;
}

describe.skipIf(!binary)("themis worker --execution bullmq", () => {
  const fixture = writeFixture();
  const app = makeApp();
  let server: RedisServer | undefined;
  let child: ChildProcess | undefined;
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    await server?.stop();
    fixture.remove();
    rmSync(app, { recursive: true, force: true });
  });

  it("runs jobs, prints JSON lines without the password, and exits 0 on SIGTERM", async () => {
    const password = "s3cret-pw-for-worker";
    server = await RedisServer.start({ password });
    const config = testConfig("cli", { url: server.url });
    const args = ["worker", "--execution", "bullmq", "-X", `url=${server.url}`, "--queue", config.queue!, "--concurrency", "2", "--json"];
    child = spawn(process.execPath, [BIN, ...args], { cwd: app, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    const lines = () =>
      stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { type: string; time: string; redis?: string });
    await waitFor(() => lines().some((l) => l.type === "ready") || child!.exitCode !== null);
    expect(child.exitCode, stderr).toBe(null);

    const executor = await createExecutor(config);
    try {
      const task: Task = { kind: "module", module: fixture.file, export: "work" };
      const out = await collect(map(task, [{ n: 1 }, { n: 2 }, { n: 3 }], { executor }));
      expect(out.map((o) => o.ok && o.value)).toEqual([{ n: 2 }, { n: 4 }, { n: 6 }]);
    } finally {
      await executor.close();
    }
    const exit = once(child, "exit");
    child.kill("SIGTERM");
    const [code] = await exit;
    expect(code).toBe(0);
    const events = lines();
    expect(events[0]!.type).toBe("ready");
    expect(events[0]!.redis).toMatch(/^redis:\/\/127\.0\.0\.1:\d+\/0$/);
    expect(events.filter((e) => e.type === "job-finished")).toHaveLength(3);
    expect(events.map((e) => e.type).slice(-2)).toEqual(["stopping", "stopped"]);
    for (const e of events) expect(Number.isNaN(Date.parse(e.time))).toBe(false);
    expect(stdout + stderr).not.toContain(password);
  });

  it("refuses a backend that has no workers, with a usage error", async () => {
    const result = spawn(process.execPath, [BIN, "worker", "--execution", "local"], { cwd: app, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    result.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    const [code] = await once(result, "exit");
    expect(code).toBe(2);
    expect(stderr).toContain("has no workers");
  });
});
