// Starts and stops a real PostgreSQL server (Debian's `postgresql` package) for the tests
// and the benchmark: initdb into a temp folder, a free loopback port, no fsync.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import path from "node:path";
import { freePort } from "@themis/conformance";

const DEBIAN_ROOT = "/usr/lib/postgresql";

/** The newest Debian PostgreSQL bin folder, or undefined when none is installed. */
export function postgresBinDir(): string | undefined {
  if (!existsSync(DEBIAN_ROOT)) return undefined;
  const versions = readdirSync(DEBIAN_ROOT).filter((v) => /^\d+$/.test(v) && existsSync(path.join(DEBIAN_ROOT, v, "bin", "initdb")));
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  return newest === undefined ? undefined : path.join(DEBIAN_ROOT, newest, "bin");
}

// PostgreSQL refuses to run as root: as root, run its programs as the "postgres" user.
const asRoot = userInfo().uid === 0;
const command = (program: string, args: string[]): [string, string[]] =>
  asRoot ? ["setpriv", ["--reuid=postgres", "--regid=postgres", "--init-groups", program, ...args]] : [program, args];

/** A PostgreSQL server child process on a loopback port, with its own data folder. */
export class PostgresServer {
  readonly port: number;
  readonly dir: string;
  readonly #bin: string;
  #child: ChildProcess | undefined;

  private constructor(bin: string, dir: string, port: number) {
    this.#bin = bin;
    this.dir = dir;
    this.port = port;
  }

  /** initdb a fresh cluster and start it on a free port; resolves when it accepts connections. */
  static async start(bin: string): Promise<PostgresServer> {
    const dir = mkdtempSync(path.join(tmpdir(), "themis-postgres-"));
    if (asRoot) {
      const { uid, gid } = postgresIds();
      chownSync(dir, uid, gid);
    }
    const [initdb, initArgs] = command(path.join(bin, "initdb"), ["-D", path.join(dir, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]);
    execFileSync(initdb, initArgs, { stdio: "pipe" });
    for (let attempt = 0; ; attempt++) {
      const server = new PostgresServer(bin, dir, await freePort());
      try {
        await server.#launch();
        return server;
      } catch (error) {
        // Another process took the port between freePort() and the bind: try another.
        if (attempt >= 4) throw error;
      }
    }
  }

  /** postgres://postgres@127.0.0.1:<port>/postgres */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  #launch(): Promise<void> {
    const [program, args] = command(path.join(this.#bin, "postgres"), [
      "-D",
      path.join(this.dir, "data"),
      "-p",
      String(this.port),
      "-k",
      this.dir,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "fsync=off",
      "-c",
      "full_page_writes=off",
      "-c",
      "synchronous_commit=off",
      "-c",
      "max_connections=200",
    ]);
    const child = spawn(program, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.#child = child;
    let output = "";
    return new Promise((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes("ready to accept connections")) {
          child.stderr!.off("data", onData);
          child.stderr!.resume();
          resolve();
        }
      };
      child.stdout!.resume();
      child.stderr!.on("data", onData);
      child.once("error", reject);
      child.once("exit", (code) => reject(new Error(`postgres exited with ${code} before it was ready:\n${output}`)));
    });
  }

  /** Stop the server (fast shutdown: open sessions are ended) and remove its folder. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGINT");
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function postgresIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
  const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
  return { uid, gid };
}
