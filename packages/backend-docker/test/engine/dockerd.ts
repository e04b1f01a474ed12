// Starts a private Docker engine (dockerd) for the tests: its own socket, data root, exec
// root and config file under one state folder, so it never touches a system engine or
// another test run's engine. Run by hand: `node test/engine/dockerd.ts` (prints DOCKER_HOST,
// stops on Ctrl-C).
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Docker from "dockerode";

export interface PrivateEngine {
  /** `unix:///.../docker.sock`: the value for DOCKER_HOST. */
  readonly host: string;
  readonly socketPath: string;
  /** The folder holding the socket, data root, exec root and log. */
  readonly stateDir: string;
  readonly logFile: string;
  /** Stops dockerd (and its containerd), unmounts what it left and deletes the state folder. */
  stop(): Promise<void>;
}

/** A dockerode client for a DOCKER_HOST value (unix sockets; anything else through the environment). */
export function dockerClient(host: string): Docker {
  if (host.startsWith("unix://")) return new Docker({ socketPath: host.slice("unix://".length), host: undefined } as Docker.DockerOptions);
  return new Docker();
}

/** Why dockerd cannot be started here, or undefined when it can be tried. */
export function dockerdUnavailableReason(): string | undefined {
  if (process.platform !== "linux") return `dockerd runs on Linux only (this is ${process.platform}); set DOCKER_HOST to an engine`;
  if (process.getuid?.() !== 0) return "starting dockerd needs root; set DOCKER_HOST to an existing engine";
  if (!findDockerd()) return "dockerd is not installed (apt-get install -y docker.io) and DOCKER_HOST is not set";
  return undefined;
}

function findDockerd(): string | undefined {
  if (process.env.THEMIS_DOCKERD) return process.env.THEMIS_DOCKERD;
  const dirs = (process.env.PATH ?? "").split(path.delimiter).concat(["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"]);
  for (const dir of dirs) {
    const candidate = path.join(dir, "dockerd");
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Start dockerd with every path under a fresh folder in `parentDir` (THEMIS_DOCKER_STATE_ROOT,
 * default the OS temp folder; it must be a filesystem overlay2 can use, so not an overlay).
 * Resolves once the engine answers a ping.
 */
export async function startPrivateEngine(parentDir = process.env.THEMIS_DOCKER_STATE_ROOT || tmpdir()): Promise<PrivateEngine> {
  const dockerd = findDockerd();
  if (!dockerd) throw new Error("dockerd not found");
  mkdirSync(parentDir, { recursive: true });
  // Short names: the socket path (plus containerd's under exec/) must fit in 108 bytes.
  const stateDir = await mkdtemp(path.join(parentDir, "themis-dockerd-"));
  const socketPath = path.join(stateDir, "docker.sock");
  const logFile = path.join(stateDir, "dockerd.log");
  const configFile = path.join(stateDir, "daemon.json");
  // An empty config file: a system /etc/docker/daemon.json must not change this engine.
  writeFileSync(configFile, "{}\n");
  const log = openSync(logFile, "a");
  const child = spawn(
    dockerd,
    [
      "--config-file",
      configFile,
      "--data-root",
      path.join(stateDir, "data"),
      "--exec-root",
      path.join(stateDir, "exec"),
      "--pidfile",
      path.join(stateDir, "dockerd.pid"),
      "-H",
      `unix://${socketPath}`,
      // This machine has no bridge networking: containers get "none" or "host" only.
      "--iptables=false",
      "--ip6tables=false",
      "--bridge=none",
      "--storage-driver=overlay2",
    ],
    { stdio: ["ignore", log, log] },
  );
  closeSync(log);
  let exited: string | undefined;
  child.once("exit", (code, signal) => {
    exited = `dockerd exited (code ${code}, signal ${signal})`;
  });
  child.once("error", (error) => {
    exited = `dockerd could not be spawned: ${error.message}`;
  });

  const engine: PrivateEngine = {
    host: `unix://${socketPath}`,
    socketPath,
    stateDir,
    logFile,
    stop: () => stopEngine(child.pid, stateDir, () => exited !== undefined),
  };

  const docker = new Docker({ socketPath });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) {
      const tail = readTail(logFile);
      await engine.stop();
      throw new Error(`${exited}\n--- dockerd.log (tail) ---\n${tail}`);
    }
    if (existsSync(socketPath)) {
      try {
        await docker.ping();
        return engine;
      } catch {
        // not listening yet
      }
    }
    if (Date.now() > deadline) {
      const tail = readTail(logFile);
      await engine.stop();
      throw new Error(`dockerd did not answer on ${socketPath} within 30 s\n--- dockerd.log (tail) ---\n${tail}`);
    }
    await sleep(50);
  }
}

function readTail(file: string): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-30).join("\n");
  } catch {
    return "(no log)";
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await sleep(50);
  }
  return !alive(pid);
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function stopEngine(pid: number | undefined, stateDir: string, hasExited: () => boolean): Promise<void> {
  // dockerd stops its own containerd on SIGTERM; after a SIGKILL containerd would stay, so
  // read its pid first and make sure it is gone too.
  const containerdPid = readPid(path.join(stateDir, "exec", "containerd", "containerd.pid"));
  if (pid !== undefined && !hasExited() && alive(pid)) {
    process.kill(pid, "SIGTERM");
    if (!(await waitGone(pid, 20_000))) {
      process.kill(pid, "SIGKILL");
      await waitGone(pid, 5_000);
    }
  }
  if (containerdPid !== undefined && alive(containerdPid)) {
    process.kill(containerdPid, "SIGTERM");
    if (!(await waitGone(containerdPid, 5_000))) process.kill(containerdPid, "SIGKILL");
  }
  unmountUnder(stateDir);
  rmSync(stateDir, { recursive: true, force: true, maxRetries: 3 });
}

/** Unmount everything dockerd left mounted below `dir` (overlay layers, netns, the data root bind). */
export function unmountUnder(dir: string): void {
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  const mountPoints = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4])
    .filter((p): p is string => p !== undefined)
    .map((p) => p.replace(/\\(\d{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8))))
    .filter((p) => p === dir || p.startsWith(prefix));
  // Deepest first, each as often as it is stacked.
  mountPoints.sort((a, b) => b.length - a.length);
  for (const mountPoint of mountPoints) {
    spawnSync("umount", ["-l", mountPoint], { stdio: "ignore" });
  }
}

// `node test/engine/dockerd.ts`: start one by hand, e.g. to run the benchmark against it.
if (import.meta.url === `file://${process.argv[1]}`) {
  const reason = dockerdUnavailableReason();
  if (reason) {
    console.error(reason);
    process.exit(1);
  }
  const engine = await startPrivateEngine();
  console.log(`export DOCKER_HOST=${engine.host}`);
  console.log(`(log: ${engine.logFile}; Ctrl-C stops it)`);
  const stop = () => void engine.stop().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  setInterval(() => {}, 1 << 30);
}
