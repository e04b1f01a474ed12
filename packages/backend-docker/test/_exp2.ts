import Docker from "dockerode";
import { spawnSync } from "node:child_process";
const docker = new Docker({ socketPath: "/tmp/dk-try/docker.sock" });
const image = "themis-test/busybox:c95cfafa310d5568";
const base = (auto: boolean) => ({ Image: image, Cmd: ["echo", "hi"], User: "65534:65534", Tty: false, AttachStdout: true, AttachStderr: true, HostConfig: { NetworkMode: "none", Init: true, Memory: 256 << 20, MemorySwap: 256 << 20, NanoCpus: 1e9, PidsLimit: 64, SecurityOpt: ["no-new-privileges"], AutoRemove: auto } });
const phases: Record<string, number[]> = {};
const rec = (k: string, v: number) => (phases[k] ??= []).push(v);
async function ours() {
  let t = performance.now(); const T0 = t;
  const lap = (k: string) => { const n = performance.now(); rec(k, n - t); t = n; };
  const c = await docker.createContainer(base(false)); lap("create");
  const s: any = await c.attach({ stream: true, stdout: true, stderr: true }); lap("attach");
  const ended = new Promise((r) => { s.on("end", r); s.on("close", r); s.resume(); });
  await c.start(); lap("start");
  await c.wait(); lap("wait");
  await ended; lap("drain");
  await c.remove({ force: true }); lap("remove");
  rec("ours total", performance.now() - T0);
}
async function cliLike() {
  let t = performance.now(); const T0 = t;
  const c = await docker.createContainer(base(true));
  const s: any = await c.attach({ stream: true, stdout: true, stderr: true });
  const ended = new Promise((r) => { s.on("end", r); s.on("close", r); s.resume(); });
  const w = c.wait({ condition: "removed" } as any);
  await c.start();
  await w; await ended;
  rec("cliLike total", performance.now() - T0);
}
async function oursAuto() {
  const T0 = performance.now();
  const c = await docker.createContainer(base(true));
  const s: any = await c.attach({ stream: true, stdout: true, stderr: true });
  const ended = new Promise((r) => { s.on("end", r); s.on("close", r); s.resume(); });
  await c.start();
  await c.wait({ condition: "removed" } as any);
  await ended;
  rec("oursAuto total", performance.now() - T0);
}
function cli() { const t = performance.now(); spawnSync("docker", ["run", "--rm", "--network", "none", "-u", "65534:65534", "--memory", "256m", "--memory-swap", "256m", "--cpus", "1", "--pids-limit", "64", "--init", "--security-opt", "no-new-privileges", image, "echo", "hi"], { env: { ...process.env, DOCKER_HOST: "unix:///tmp/dk-try/docker.sock" } }); rec("cli total", performance.now() - t); }
for (let i = 0; i < 10; i++) { await ours(); await oursAuto(); await cliLike(); cli(); }
for (const [k, v] of Object.entries(phases)) { v.sort((a, b) => a - b); console.log(k.padEnd(14), "median", v[v.length >> 1].toFixed(0), "min", v[0].toFixed(0)); }
