// Bad config: every field is checked with its path and a reason, before any script is
// written; values that would break out of an #SBATCH line never get through.
import { InvalidConfigError, parseBackendConfig } from "@themis/core";
import { describe, expect, it } from "vitest";
import { batchScript, slurmBackend } from "../src/index.ts";
import { slurmTestEnv } from "./env.ts";
import { createSlurmExecutor } from "./helpers.ts";

function issuesOf(config: Record<string, unknown>): Array<{ path: string; message: string }> {
  try {
    parseBackendConfig(slurmBackend, config);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidConfigError);
    return [...(error as InvalidConfigError).issues];
  }
  throw new Error(`config was accepted: ${JSON.stringify(config)}`);
}

describe("config", () => {
  it.each([
    [{ partition: "debug\n#SBATCH --uid=0" }, "partition", /partition name/],
    [{ account: "a b" }, "account", /account name/],
    [{ memory: "lots" }, "memory", /SLURM size/],
    [{ memory: "4 G" }, "memory", /SLURM size/],
    [{ timeLimit: "0" }, "timeLimit", /time limit/],
    [{ timeLimit: "1:2:3:4" }, "timeLimit", /time limit/],
    [{ nodes: 0 }, "nodes", /./],
    [{ directives: ["--gres=gpu:1\nrm -rf ~"] }, "directives[0]", /one long sbatch option/],
    [{ directives: ["--gres=gpu:1 --uid=0"] }, "directives[0]", /no spaces/],
    [{ directives: ["-o /tmp/x"] }, "directives[0]", /long sbatch option/],
    [{ directives: ["--exclusive", "--output=/tmp/steal"] }, "directives[1]", /--output cannot be set here/],
    [{ directives: ["--time=5"] }, "directives[0]", /use the timeLimit field/],
    [{ workDir: "relative/jobs" }, "workDir", /absolute path/],
    [{ workDir: "/shared/my jobs" }, "workDir", /whitespace/],
    [{ workDir: "/shared/%j" }, "workDir", /"%"/],
    [{ env: { "BAD=NAME": "x" } }, "env.BAD=NAME", /shell variable name/],
    [{ timeout: "soon" }, "timeout", /duration/],
    [{ pollIntervalMs: 500, maxPollIntervalMs: 100 }, "maxPollIntervalMs", /at least pollIntervalMs/],
    [{ partitio: "debug" }, "partitio", /did you mean "partition"/],
  ])("rejects %j at %s", (config, path, reason) => {
    const issues = issuesOf(config);
    const issue = issues.find((i) => i.path === path) ?? issues[0];
    expect(issue?.path, JSON.stringify(issues)).toBe(path);
    expect(issue?.message).toMatch(reason);
  });

  it("accepts SLURM's own forms and applies defaults", () => {
    const config = parseBackendConfig(slurmBackend, {
      partition: "debug,other",
      memory: "512M",
      timeLimit: "1-02:03:04",
      directives: ["--exclusive", "--gres=gpu:a100:2"],
      env: { OMP_NUM_THREADS: "4" },
    });
    expect(config.concurrency).toBe(8);
    expect(config.workDir).toMatch(/\.themis\/slurm$/);
    for (const t of [5, "5", "05:00", "1:00:00", "2-0", "2-12:30", "UNLIMITED"]) expect(() => parseBackendConfig(slurmBackend, { timeLimit: t })).not.toThrow();
  });

  it("writes a script whose argv, env and cwd are shell words, never shell code", () => {
    const config = parseBackendConfig(slurmBackend, { partition: "debug", memory: "1G", directives: ["--exclusive"] });
    const script = batchScript(config, {
      dir: "/w/1.1.ab",
      jobName: "themis-1",
      argv: ["echo", "it's $(id) `x`\nnext"],
      env: { V: "a'b" },
      cleanEnv: false,
      cwd: "/data/x y",
      hasStdin: false,
      timeoutMs: 90_000,
    });
    expect(script).toContain("#SBATCH --partition=debug\n#SBATCH --mem=1G\n#SBATCH --time=3\n#SBATCH --exclusive\n");
    expect(script).toContain("export V='a'\\''b'\n");
    expect(script).toContain("cd '/data/x y' || exit 1\n");
    expect(script).toContain("exec 'echo' 'it'\\''s $(id) `x`\nnext' </dev/null\n");
  });

  const env = slurmTestEnv();
  it.skipIf(!env)("create() checks the cluster: an unknown partition fails with its field path", async () => {
    if (!env) return;
    const error = await createSlurmExecutor(env, { partition: "nosuchpartition" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidConfigError);
    expect((error as InvalidConfigError).issues).toEqual([{ path: "partition", message: 'the cluster has no partition "nosuchpartition" (see sinfo)' }]);
  });

  it.skipIf(!env)("create() fails with ERR_THEMIS_UNAVAILABLE when the SLURM commands are missing", async () => {
    if (!env) return;
    const missing = await createSlurmExecutor(env, { slurmBinDir: "/nonexistent/bin" }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE", retryable: false });
    expect(String((missing as Error).message)).toMatch(/scontrol was not found in \/nonexistent\/bin \(slurmBinDir\)/);
  });
});
