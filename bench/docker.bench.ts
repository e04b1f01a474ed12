// The "docker" executor running `echo` command jobs through map(), beside what a user would
// otherwise write: a shell loop of `docker run --rm` (and `xargs -P 4` for concurrency 4)
// with the same image and limits.
//   node bench/docker.bench.ts                      BENCH_SCALE=small (default): 12 jobs
//   BENCH_SCALE=full node bench/docker.bench.ts     the issue's 50 jobs
// Uses the engine at DOCKER_HOST, else starts a private dockerd (root, docker.io) as the
// tests do. Prints figures and ratios; never asserts on time; exits 0 when no engine.
import { spawnSync } from "node:child_process";
import { map, parseBackendConfig } from "@themis/core";
import { type DockerExecutor, dockerBackend } from "@themis/backend-docker";
import { type PrivateEngine, dockerClient, dockerdUnavailableReason, startPrivateEngine } from "../packages/backend-docker/test/engine/dockerd.ts";
import { ensureBusyboxImage } from "../packages/backend-docker/test/engine/images.ts";

const full = process.env.BENCH_SCALE === "full";
const JOBS = full ? 50 : 12;
const CONCURRENCIES = [1, 4];

// The same limits for both sides.
const LIMITS = { memory: "256m", cpu: 1, pidsLimit: 64, network: "none", user: "65534:65534" } as const;
const CLI_FLAGS = [
  "--network",
  "none",
  "-u",
  "65534:65534",
  "--memory",
  "256m",
  "--memory-swap",
  "256m",
  "--cpus",
  "1",
  "--pids-limit",
  "64",
  "--init",
  "--security-opt",
  "no-new-privileges",
];

let engine: PrivateEngine | undefined;
let host = process.env.DOCKER_HOST;
if (!host) {
  const reason = dockerdUnavailableReason();
  if (reason) {
    console.log(`docker bench skipped: ${reason}`);
    process.exit(0);
  }
  try {
    engine = await startPrivateEngine();
  } catch (error) {
    console.log(`docker bench skipped: dockerd did not start: ${(error as Error).message.split("\n")[0]}`);
    process.exit(0);
  }
  host = engine.host;
}

try {
  const image = await ensureBusyboxImage(dockerClient(host));
  const cli = spawnSync("docker", ["--version"], { encoding: "utf8" });
  const hasCli = cli.status === 0;
  const cliEnv = { ...process.env, DOCKER_HOST: host };

  const executor = (await dockerBackend.create(parseBackendConfig(dockerBackend, { host, image, ...LIMITS }))) as DockerExecutor;
  // One warm-up job each, so neither side pays a first-container cost in the figures.
  await executor.run({ kind: "command", argv: ["echo", "warm"] }, { signal: new AbortController().signal, attempt: 1, index: 0 });
  if (hasCli) spawnSync("docker", ["run", "--rm", ...CLI_FLAGS, image, "echo", "warm"], { env: cliEnv });

  console.log(`docker executor: ${JOBS} echo jobs, image ${image}, limits ${JSON.stringify(LIMITS)}`);
  console.log(`engine ${host}${engine ? " (private dockerd)" : ""}; docker CLI: ${hasCli ? cli.stdout.trim() : "not found (no baseline)"}`);
  // Rounds alternate which side goes first, so a machine whose load drifts during the run
  // (other builds, page cache) does not favour either side.
  const ROUNDS = 5;
  const perRound = Math.ceil(JOBS / ROUNDS);
  const task = { kind: "command" as const, command: (i: number) => ({ argv: ["echo", String(i)] }) };
  const runThemis = async (jobs: number, concurrency: number): Promise<{ ms: number; failed: number }> => {
    const started = performance.now();
    let failed = 0;
    for await (const outcome of map(
      task,
      Array.from({ length: jobs }, (_, i) => i),
      { executor, concurrency },
    )) {
      if (!outcome.ok) failed++;
    }
    return { ms: performance.now() - started, failed };
  };
  const runCli = (jobs: number, concurrency: number): { ms: number; failed: boolean } => {
    // What a user would write: a loop of docker run --rm, or xargs -P for parallel runs.
    const script =
      concurrency === 1
        ? `for i in $(seq ${jobs}); do docker run --rm ${CLI_FLAGS.join(" ")} ${image} echo "$i" >/dev/null || exit 1; done`
        : `seq ${jobs} | xargs -P ${concurrency} -I{} docker run --rm ${CLI_FLAGS.join(" ")} ${image} echo {} >/dev/null`;
    const started = performance.now();
    const run = spawnSync("sh", ["-c", script], { env: cliEnv, encoding: "utf8" });
    return { ms: performance.now() - started, failed: run.status !== 0 };
  };
  for (const concurrency of CONCURRENCIES) {
    let themisMs = 0;
    let cliMs = 0;
    let failed = 0;
    let cliFailed = false;
    for (let round = 0, left = JOBS; left > 0; round++, left -= perRound) {
      const jobs = Math.min(perRound, left);
      const themisFirst = round % 2 === 0;
      if (!themisFirst && hasCli) {
        const c = runCli(jobs, concurrency);
        cliMs += c.ms;
        cliFailed ||= c.failed;
      }
      const t = await runThemis(jobs, concurrency);
      themisMs += t.ms;
      failed += t.failed;
      if (themisFirst && hasCli) {
        const c = runCli(jobs, concurrency);
        cliMs += c.ms;
        cliFailed ||= c.failed;
      }
    }
    let line = `concurrency ${concurrency}: themis ${themisMs.toFixed(0)} ms (${((JOBS * 1000) / themisMs).toFixed(1)} jobs/s${failed ? `, ${failed} FAILED` : ""})`;
    if (hasCli) {
      line += `; docker run loop ${cliMs.toFixed(0)} ms (${((JOBS * 1000) / cliMs).toFixed(1)} jobs/s${cliFailed ? ", FAILED" : ""}); ratio themis/cli ${(themisMs / cliMs).toFixed(2)}x`;
    }
    console.log(line);
  }
  await executor.close();
} finally {
  await engine?.stop();
}
