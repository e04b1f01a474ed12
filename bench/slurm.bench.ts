// The "slurm" executor running `echo` command jobs through map(), beside what a user would
// otherwise write: `sbatch --wrap` and a loop polling squeue by hand (xargs -P 4 for
// concurrency 4), polling every 250 ms like the executor's first interval.
//   node bench/slurm.bench.ts                      BENCH_SCALE=small (default): 12 jobs
//   BENCH_SCALE=full node bench/slurm.bench.ts     40 jobs
// Starts a private one-node cluster (root, slurm-wlm + munge) as the tests do. Prints
// figures and ratios; never asserts on time; exits 0 when the cluster cannot start.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { loadavg } from "node:os";
import { map, parseBackendConfig } from "@themis/core";
import { type SlurmExecutor, slurmBackend } from "@themis/backend-slurm";
import { type PrivateCluster, clusterUnavailableReason, startCluster } from "../packages/backend-slurm/test/cluster.ts";

const full = process.env.BENCH_SCALE === "full";
const JOBS = full ? 40 : 12;
const CONCURRENCIES = [1, 4];
const POLL_S = 0.25;

const reason = clusterUnavailableReason();
if (reason) {
  console.log(`slurm bench skipped: ${reason}`);
  process.exit(0);
}
let cluster: PrivateCluster;
try {
  cluster = await startCluster();
} catch (error) {
  console.log(`slurm bench skipped: the cluster did not start: ${(error as Error).message}`);
  process.exit(0);
}

try {
  const env = { ...process.env, SLURM_CONF: cluster.slurmConf };
  const handDir = path.join(cluster.workDir, "by-hand");
  mkdirSync(handDir);
  const executor = (await slurmBackend.create(
    parseBackendConfig(slurmBackend, { slurmConf: cluster.slurmConf, workDir: cluster.workDir, pollIntervalMs: POLL_S * 1000 }),
  )) as SlurmExecutor;
  const task = { kind: "command" as const, command: (i: number) => ({ argv: ["echo", String(i)] }) };
  const runThemis = async (jobs: number, concurrency: number): Promise<{ ms: number; failed: number }> => {
    const started = performance.now();
    let failed = 0;
    for await (const outcome of map(
      task,
      Array.from({ length: jobs }, (_, i) => i),
      { executor, concurrency },
    ))
      if (!outcome.ok) failed++;
    return { ms: performance.now() - started, failed };
  };
  // One job by hand: submit, poll until it leaves the queue, read its output file.
  const oneByHand = `id=$(sbatch --parsable -o ${handDir}/$1.out --wrap "echo $1") || exit 1
while [ -n "$(squeue -h -j "$id" -o %T 2>/dev/null)" ]; do sleep ${POLL_S}; done
cat ${handDir}/$1.out >/dev/null`;
  const runByHand = (jobs: number, concurrency: number): { ms: number; failed: boolean } => {
    const script = `seq ${jobs} | xargs -P ${concurrency} -I{} sh -c '${oneByHand.replaceAll("'", `'\\''`)}' job {}`;
    const started = performance.now();
    const run = spawnSync("sh", ["-c", script], { env, encoding: "utf8" });
    return { ms: performance.now() - started, failed: run.status !== 0 };
  };
  // slurmctld's own count of job-state queries (what squeue costs the cluster), per side.
  const stateQueries = (): number => {
    const text = spawnSync("sdiag", [], { env, encoding: "utf8" }).stdout ?? "";
    let count = 0;
    for (const match of text.matchAll(/REQUEST_JOB_INFO(?:_SINGLE)?\s+\(\s*\d+\)\s+count:(\d+)/g)) count += Number(match[1]);
    spawnSync("sdiag", ["--reset"], { env });
    return count;
  };
  await runThemis(1, 1);
  runByHand(1, 1);
  stateQueries();
  console.log(
    `slurm executor: ${JOBS} echo jobs on a private one-node cluster; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")} (2 cores shared: figures are noisy)`,
  );
  // Rounds alternate which side goes first, so load drifting during the run favours neither.
  const ROUNDS = 4;
  const perRound = Math.ceil(JOBS / ROUNDS);
  for (const concurrency of CONCURRENCIES) {
    let themisMs = 0;
    let handMs = 0;
    let failed = 0;
    let handFailed = false;
    let themisQueries = 0;
    let handQueries = 0;
    for (let round = 0, left = JOBS; left > 0; round++, left -= perRound) {
      const jobs = Math.min(perRound, left);
      const hand = (): void => {
        stateQueries();
        const h = runByHand(jobs, concurrency);
        handQueries += stateQueries();
        handMs += h.ms;
        handFailed ||= h.failed;
      };
      if (round % 2 === 1) hand();
      stateQueries();
      const t = await runThemis(jobs, concurrency);
      themisQueries += stateQueries();
      themisMs += t.ms;
      failed += t.failed;
      if (round % 2 === 0) hand();
    }
    const rate = (ms: number): string => ((JOBS * 1000) / ms).toFixed(2);
    console.log(
      `concurrency ${concurrency}: themis ${themisMs.toFixed(0)} ms (${rate(themisMs)} jobs/s${failed ? `, ${failed} FAILED` : ""}); ` +
        `sbatch --wrap + squeue loop ${handMs.toFixed(0)} ms (${rate(handMs)} jobs/s${handFailed ? ", FAILED" : ""}); ratio themis/by-hand ${(themisMs / handMs).toFixed(2)}x (below 1: themis is faster); ` +
        `job-state queries to slurmctld: themis ${themisQueries}, by hand ${handQueries}`,
    );
  }
  await executor.close();
} finally {
  await cluster.stop();
}
