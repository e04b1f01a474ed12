import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@themis/conformance";

const here = path.dirname(fileURLToPath(import.meta.url));
const scripts = path.resolve(here, "..", "ceph");

/** Where a running S3 server is and the keys of its two users. */
export interface S3ServerInfo {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** A second user that owns nothing the first one creates (access-denied tests). */
  otherAccessKeyId: string;
  otherSecretAccessKey: string;
}

/** Why radosgw cannot be started here, or undefined when the Debian packages are installed. */
export function radosgwMissing(): string | undefined {
  const missing = ["radosgw", "ceph-mon", "ceph-osd", "radosgw-admin", "monmaptool", "ceph-authtool"].filter(
    (bin) => spawnSync("sh", ["-c", `command -v ${bin}`]).status !== 0,
  );
  return missing.length ? `${missing.join(", ")} not installed (apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd)` : undefined;
}

/** A throwaway single-node Ceph (mon + memstore OSD + radosgw) on free loopback ports. */
export class Radosgw {
  readonly info: S3ServerInfo;
  readonly #dir: string;

  private constructor(info: S3ServerInfo, dir: string) {
    this.info = info;
    this.#dir = dir;
  }

  static async start(): Promise<Radosgw> {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), "themis-radosgw-")), "ceph");
    const [monPort, rgwPort] = [await freePort(), await freePort()];
    const info: S3ServerInfo = {
      endpoint: `http://127.0.0.1:${rgwPort}`,
      accessKeyId: "themis-test",
      secretAccessKey: "themis-test-secret-key",
      otherAccessKeyId: "themis-other",
      otherSecretAccessKey: "themis-other-secret-key",
    };
    const env = {
      ...process.env,
      CEPH_DIR: dir,
      MON_PORT: String(monPort),
      RGW_PORT: String(rgwPort),
      S3_ACCESS_KEY_ID: info.accessKeyId,
      S3_SECRET_ACCESS_KEY: info.secretAccessKey,
      S3_OTHER_ACCESS_KEY_ID: info.otherAccessKeyId,
      S3_OTHER_SECRET_ACCESS_KEY: info.otherSecretAccessKey,
    };
    const server = new Radosgw(info, dir);
    const output: string[] = [];
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn("bash", [path.join(scripts, "start-radosgw.sh")], { env, stdio: ["ignore", "pipe", "pipe"] });
      child.stdout.on("data", (d: Buffer) => output.push(d.toString()));
      child.stderr.on("data", (d: Buffer) => output.push(d.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), 150_000);
      child.on("close", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    if (code !== 0 || !output.join("").includes("ready")) {
      let log = "";
      try {
        log = readFileSync(path.join(dir, "log", "client.rgw.a.log"), "utf8")
          .split("\n")
          .slice(-20)
          .join("\n");
      } catch {
        // no log yet
      }
      await server.stop();
      throw new Error(`radosgw did not start (exit ${code}):\n${output.join("").slice(-3000)}\n${log}`);
    }
    return server;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      const child = spawn("bash", [path.join(scripts, "stop-radosgw.sh")], { env: { ...process.env, CEPH_DIR: this.#dir }, stdio: "ignore" });
      child.on("close", () => resolve());
    });
    rmSync(path.dirname(this.#dir), { recursive: true, force: true });
  }
}
