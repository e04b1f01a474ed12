// What ROMPY's Docker backend got wrong, tested for each field against a real engine:
// limits visible inside the container, the user, volumes, network, timeout, env, labels,
// clean-up, log streaming, mpiexec.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { JobResult } from "@themis/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DockerExecutor, type DockerLogEvent, LABELS, removeLeftoverContainers } from "../src/index.ts";
import { dockerTestEnv } from "./env.ts";
import { containersOf, createDockerExecutor, engineClient, runJob } from "./helpers.ts";

const env = dockerTestEnv();
const sh = (script: string) => ({ kind: "command" as const, argv: ["sh", "-c", script] });
const text = (result: JobResult): string => {
  expect(result.ok, JSON.stringify(result)).toBe(true);
  return result.ok ? String(result.value).trim() : "";
};

// Reads a cgroup file under v2 names first, then v1 names.
const CGROUP_MEMORY = "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes";
const CGROUP_CPU =
  'if [ -f /sys/fs/cgroup/cpu.max ]; then cat /sys/fs/cgroup/cpu.max; else echo "$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"; fi';
const CGROUP_PIDS = "cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max";

describe.skipIf(!env)("docker executor against a real engine", () => {
  const executors: DockerExecutor[] = [];
  let scratch: string;
  const make = async (config: Parameters<typeof createDockerExecutor>[1]) => {
    const executor = await createDockerExecutor(env!, { image: env!.images.busybox, killGraceMs: 200, ...config });
    executors.push(executor);
    return executor;
  };

  beforeAll(() => {
    scratch = mkdtempSync(path.join(tmpdir(), "themis-docker-limits-"));
    chmodSync(scratch, 0o755);
  });

  afterAll(async () => {
    for (const executor of executors) await executor.close();
    // Every job of every executor above is over: none of their containers may remain.
    for (const executor of executors) expect(await containersOf(env!, executor.id)).toEqual([]);
    rmSync(scratch, { recursive: true, force: true });
  });

  it("runs as nobody by default, as the configured user otherwise, never privileged", async () => {
    const byDefault = await make({});
    expect(text(await runJob(byDefault, sh("id -u; id -g")))).toBe("65534\n65534");
    // No capabilities left for the job's processes.
    expect(text(await runJob(byDefault, sh("grep CapEff /proc/self/status")))).toMatch(/CapEff:\s+0+$/);
    const other = await make({ user: "1000:1000" });
    expect(text(await runJob(other, sh("id -u; id -g")))).toBe("1000\n1000");
  });

  it("memory, cpu and pids limits are visible inside the container", async () => {
    const executor = await make({ memory: "64m", cpu: 1.5, pidsLimit: 50 });
    expect(Number(text(await runJob(executor, sh(CGROUP_MEMORY))))).toBe(64 * 1024 * 1024);
    const [quota, period] = text(await runJob(executor, sh(CGROUP_CPU)))
      .split(/\s+/)
      .map(Number);
    expect(quota! / period!).toBe(1.5);
    expect(text(await runJob(executor, sh(CGROUP_PIDS)))).toBe("50");
  });

  it("a job over its memory limit is killed and reported as such", async () => {
    const executor = await createDockerExecutor(env!, { image: env!.images.node, memory: "48m", killGraceMs: 200 });
    executors.push(executor);
    const result = await runJob(executor, { kind: "command", argv: ["node", "-e", "const a = []; for (;;) a.push(Buffer.alloc(1 << 20, 1));"] });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe("ERR_THEMIS_JOB_FAILED");
      expect(result.error.message).toContain("memory");
    }
    expect(result.exitCode).toBeNull();
    expect(result.termSignal).toBe("SIGKILL");
  });

  it("read-only volumes are really read-only; read-write ones write through to the host", async () => {
    const inDir = mkdtempSync(path.join(scratch, "ro-"));
    const outDir = mkdtempSync(path.join(scratch, "rw-"));
    chmodSync(inDir, 0o755);
    chmodSync(outDir, 0o777);
    writeFileSync(path.join(inDir, "data.txt"), "from the host\n");
    chmodSync(path.join(inDir, "data.txt"), 0o666);
    const executor = await make({ volumes: [`${inDir}:/in:ro`, `${outDir}:/out`] });
    expect(text(await runJob(executor, sh("cat /in/data.txt")))).toBe("from the host");
    const write = await runJob(executor, sh("echo changed > /in/data.txt"));
    expect(write.ok).toBe(false);
    expect(write.stderr?.text).toMatch(/read-only/i);
    const create = await runJob(executor, sh("touch /in/new"));
    expect(create.ok).toBe(false);
    expect(readFileSync(path.join(inDir, "data.txt"), "utf8")).toBe("from the host\n");
    expect(existsSync(path.join(inDir, "new"))).toBe(false);
    text(await runJob(executor, sh("echo result > /out/result.txt")));
    expect(readFileSync(path.join(outDir, "result.txt"), "utf8")).toBe("result\n");
  });

  it('network "none" has no interface but loopback and no route out', async () => {
    const executor = await make({});
    expect(text(await runJob(executor, sh("ls /sys/class/net")))).toBe("lo");
    // /proc/net/route: a header line and nothing else.
    expect(text(await runJob(executor, sh("tail -n +2 /proc/net/route | wc -l")))).toBe("0");
    const out = await runJob(executor, sh("wget -q -T 2 -O- http://10.0.0.1/ || echo unreachable"));
    expect(text(out)).toContain("unreachable");
  });

  it("passes config env and job env (job wins), never the host's environment; workingDir", async () => {
    process.env.THEMIS_HOST_ONLY_VAR = "host secret";
    const executor = await make({ env: { SHARED: "config", CONFIG_ONLY: "c" }, workingDir: "/etc" });
    const out = await runJob(executor, {
      kind: "command",
      argv: ["sh", "-c", 'echo "$SHARED $CONFIG_ONLY ${THEMIS_HOST_ONLY_VAR:-absent}"; pwd'],
      env: { SHARED: "job" },
    });
    expect(text(out)).toBe("job c absent\n/etc");
    delete process.env.THEMIS_HOST_ONLY_VAR;
  });

  it("timeout from the config stops the job, then removes its container", async () => {
    const executor = await make({ timeout: "3s" });
    const result = await runJob(executor, sh("sleep 60"));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe("ERR_THEMIS_TIMEOUT");
    expect(await containersOf(env!, executor.id)).toEqual([]);
    // The next job gets its own time.
    expect(text(await runJob(executor, sh("echo next")))).toBe("next");
  });

  it("close() stops running jobs and leaves no container", async () => {
    const executor = await make({});
    const started = new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (executor.activeContainers.length > 0) {
          clearInterval(poll);
          resolve();
        }
      }, 20);
    });
    const running = runJob(executor, sh("sleep 60"));
    await started;
    await executor.close();
    const result = await running;
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe("ERR_THEMIS_ABORTED");
    expect(await containersOf(env!, executor.id)).toEqual([]);
    await expect(runJob(executor, sh("true"))).rejects.toMatchObject({ code: "ERR_THEMIS_CLOSED" });
  });

  it("labels every container; removeContainer: false keeps it (stopped, never privileged) for inspection", async () => {
    const executor = await make({ removeContainer: false, labels: { team: "evals" } });
    text(await runJob(executor, sh("echo kept")));
    const [info] = await containersOf(env!, executor.id);
    expect(info?.Labels).toMatchObject({
      [LABELS.backend]: "docker",
      [LABELS.executor]: executor.id,
      [LABELS.kind]: "command",
      [LABELS.index]: "0",
      [LABELS.attempt]: "1",
      team: "evals",
    });
    const inspected = await engineClient(env!).getContainer(info!.Id).inspect();
    expect(inspected.State.Running).toBe(false);
    expect(inspected.HostConfig.Privileged).toBe(false);
    expect(inspected.HostConfig.SecurityOpt).toContain("no-new-privileges");
    expect(inspected.HostConfig.NetworkMode).toBe("none");
    expect(await removeLeftoverContainers({ host: env!.host, executorId: executor.id })).toEqual([info!.Id]);
    expect(await containersOf(env!, executor.id)).toEqual([]);
  });

  it("streams output lines to onLog while the job runs", async () => {
    const sync = mkdtempSync(path.join(scratch, "sync-"));
    chmodSync(sync, 0o777);
    const events: DockerLogEvent[] = [];
    // The job waits for a file the test creates only when the first line has arrived: if
    // lines were delivered at the end, the job would hang until its timeout.
    const executor = await make({
      volumes: [`${sync}:/sync:ro`],
      timeout: "30s",
      onLog: (event) => {
        events.push(event);
        if (event.line === "first") writeFileSync(path.join(sync, "go"), "");
      },
    });
    const result = await runJob(executor, sh("echo first; echo warn >&2; while [ ! -e /sync/go ]; do sleep 0.05; done; printf second"));
    expect(text(result)).toBe("first\nsecond");
    expect(events.map((e) => `${e.stream}:${e.line}`).sort()).toEqual(["stderr:warn", "stdout:first", "stdout:second"]);
    expect(events.every((e) => e.index === 0 && e.attempt === 1 && e.containerId.length > 0)).toBe(true);
  });

  it("mpiexec prefixes command jobs", async () => {
    // A stand-in launcher that prints what it would run: the prefix and the job's argv.
    const executor = await make({ mpiexec: "echo mpiexec -n 4" });
    expect(text(await runJob(executor, { kind: "command", argv: ["model", "--steps", "10"] }))).toBe("mpiexec -n 4 model --steps 10");
  });

  it("checks the config against the engine: too many CPUs, missing bind sources, missing images with pull: never", async () => {
    const cpus = (await engineClient(env!).info()).NCPU as number;
    if (cpus < 128) await expect(make({ cpu: 128 })).rejects.toMatchObject({ code: "ERR_THEMIS_INVALID_CONFIG", issues: [{ path: "cpu" }] });
    await expect(make({ volumes: ["/tmp/themis-no-such-dir-xyz:/x"] })).rejects.toMatchObject({
      code: "ERR_THEMIS_INVALID_CONFIG",
      issues: [{ path: "volumes[0]" }],
    });
    await expect(make({ image: "themis-test/no-such-image:1", pull: "never" })).rejects.toMatchObject({ code: "ERR_THEMIS_NOT_FOUND" });
  });
});
