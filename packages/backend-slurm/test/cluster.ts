// A private one-node SLURM cluster for the tests (and the bench): munged, slurmctld and
// slurmd as root in a temp folder, on free loopback ports, from Debian's slurm-wlm and
// munge packages. See /work/shared/ENVIRONMENT-seed-backends.md for the recipe's traps.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "@themis/conformance";

export interface PrivateCluster {
  /** The generated slurm.conf (SLURM_CONF for the commands). */
  readonly slurmConf: string;
  /** A folder for job files (the node is this machine, so any local folder is shared). */
  readonly workDir: string;
  /** KillWait of the cluster, in seconds. */
  readonly killWaitS: number;
  stop(): Promise<void>;
}

const PROGRAMS = ["munged", "mungekey", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "scontrol", "sinfo"];

/** Why the cluster cannot start here, or undefined when it can. */
export function clusterUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return "slurmctld and slurmd must run as root for the test cluster";
  const missing = PROGRAMS.filter((p) => !["/usr/sbin", "/usr/bin", "/sbin", "/bin"].some((d) => existsSync(path.join(d, p))));
  return missing.length ? `missing ${missing.join(", ")} (apt-get install slurm-wlm munge)` : undefined;
}

function slurmConf(dir: string, ctldPort: number, dPort: number): string {
  return `ClusterName=themistest
SlurmctldHost=localhost
SlurmctldPort=${ctldPort}
SlurmdPort=${dPort}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=${dir}/munge/munge.sock
SlurmUser=root
SlurmdUser=root
StateSaveLocation=${dir}/state
SlurmdSpoolDir=${dir}/spool
SlurmctldPidFile=${dir}/slurmctld.pid
SlurmdPidFile=${dir}/slurmd.pid
SlurmctldLogFile=${dir}/log/slurmctld.log
SlurmdLogFile=${dir}/log/slurmd.log
# pgid: a job's background processes (same process group) die with it; clusters use cgroup.
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=64
AccountingStorageType=accounting_storage/none
# Memory limits are enforced by sampling (no cgroups here): over --mem is killed within ~1 s.
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=1
JobAcctGatherParams=OverMemoryKill
JobCompType=jobcomp/filetxt
JobCompLoc=${dir}/log/jobcomp.txt
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
KillWait=2
MinJobAge=600
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SlurmdParameters=config_overrides
NodeName=localhost NodeAddr=127.0.0.1 CPUs=8 RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
PartitionName=other Nodes=localhost MaxTime=INFINITE State=UP
`;
}

function daemon(program: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  // Their own log files are in slurm.conf (and munged's --log-file): nothing to keep here.
  const child = spawn(program, args, { env, stdio: ["ignore", "ignore", "ignore"] });
  child.on("error", () => undefined);
  return child;
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/**
 * slurmstepd processes of this cluster still alive once slurmd is gone (one that could not
 * report its job's end to slurmctld in time keeps retrying): found by their open files in
 * the cluster's folder, so no other cluster's processes are touched.
 */
function strayStepds(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() !== "slurmstepd") continue;
      if (readdirSync(`/proc/${entry}/fd`).some((fd) => readlinkSync(`/proc/${entry}/fd/${fd}`).startsWith(dir))) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

async function waitFor(what: string, ms: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Start the cluster and wait until its node is idle. */
export async function startCluster(): Promise<PrivateCluster> {
  const dir = mkdtempSync(path.join(tmpdir(), "themis-slurm-"));
  chmodSync(dir, 0o755); // munged refuses a socket folder that others cannot enter
  for (const sub of ["munge", "state", "spool", "log", "jobs"]) mkdirSync(path.join(dir, sub));
  const key = path.join(dir, "munge", "munge.key");
  execFileSync("mungekey", ["--create", `--keyfile=${key}`]);
  chmodSync(key, 0o400);
  const conf = path.join(dir, "slurm.conf");
  writeFileSync(conf, slurmConf(dir, await freePort(), await freePort()));
  const env = { ...process.env, SLURM_CONF: conf };
  const m = (f: string) => path.join(dir, "munge", f);
  const children = [
    daemon(
      "munged",
      [
        "-F",
        `--key-file=${key}`,
        `--socket=${m("munge.sock")}`,
        `--pid-file=${m("munged.pid")}`,
        `--log-file=${m("munged.log")}`,
        `--seed-file=${m("munged.seed")}`,
      ],
      env,
    ),
  ];
  const stop = async (): Promise<void> => {
    try {
      // Private cluster: every job in it is the tests'. Nothing may outlive the run.
      execFileSync("scancel", ["--full", "--user=root"], { env, stdio: "ignore", timeout: 10_000 });
    } catch {
      // slurmctld already gone.
    }
    await waitFor("jobs did not leave the queue", 15_000, () => {
      try {
        return execFileSync("squeue", ["--noheader"], { env, encoding: "utf8", timeout: 5000 }).trim() === "";
      } catch {
        return true;
      }
    }).catch(() => undefined);
    for (const child of [...children].reverse()) await stopChild(child);
    for (const pid of strayStepds(dir)) process.kill(pid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor("munged did not create its socket", 10_000, () => existsSync(m("munge.sock")));
    children.push(daemon("slurmctld", ["-D", "-i"], env));
    children.push(daemon("slurmd", ["-D", "-N", "localhost"], env));
    await waitFor("the node did not become idle", 30_000, () => {
      try {
        return execFileSync("sinfo", ["-h", "-o", "%T"], { env, encoding: "utf8", timeout: 5000 }).split("\n").includes("idle");
      } catch {
        return false;
      }
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { slurmConf: conf, workDir: path.join(dir, "jobs"), killWaitS: 2, stop };
}
