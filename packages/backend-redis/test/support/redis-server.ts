// Starts and stops real redis-server processes for the tests and the benchmark.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "@themis/conformance";

/** Options of one server instance. */
export interface RedisServerOptions {
  /** Append-only file with fsync on every write (for crash tests). Default false: no persistence. */
  persistence?: boolean;
  /** requirepass: clients must AUTH with this password. */
  password?: string;
  /** Extra redis-server arguments, e.g. ["--rename-command", "KEYS", ""]. */
  args?: string[];
}

/** True when a redis-server binary is on PATH. */
export function redisServerInstalled(): boolean {
  return spawnSync("redis-server", ["--version"], { stdio: "ignore" }).status === 0;
}

/** A redis-server child process on a loopback port, with its own data folder. */
export class RedisServer {
  readonly port: number;
  readonly dir: string;
  readonly options: RedisServerOptions;
  #child: ChildProcess | undefined;

  private constructor(port: number, dir: string, options: RedisServerOptions) {
    this.port = port;
    this.dir = dir;
    this.options = options;
  }

  /** Start a server on a free port; resolves when it accepts connections. */
  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    const dir = mkdtempSync(path.join(tmpdir(), "themis-redis-"));
    for (let attempt = 0; ; attempt++) {
      const server = new RedisServer(await freePort(), dir, options);
      try {
        await server.#launch();
        return server;
      } catch (error) {
        // Another process took the port between freePort() and the bind: try another.
        if (attempt >= 4) throw error;
      }
    }
  }

  /** redis://127.0.0.1:<port> (with the password when the server has one). */
  get url(): string {
    const auth = this.options.password ? `:${encodeURIComponent(this.options.password)}@` : "";
    return `redis://${auth}127.0.0.1:${this.port}`;
  }

  #args(): string[] {
    const persistence = this.options.persistence ? ["--appendonly", "yes", "--appendfsync", "always", "--save", ""] : ["--appendonly", "no", "--save", ""];
    return [
      "--port",
      String(this.port),
      "--bind",
      "127.0.0.1",
      "--dir",
      this.dir,
      "--daemonize",
      "no",
      "--logfile",
      "",
      "--loglevel",
      "notice", // the ready line is a notice
      ...persistence,
      ...(this.options.password ? ["--requirepass", this.options.password] : []),
      ...(this.options.args ?? []),
    ];
  }

  #launch(): Promise<void> {
    const child = spawn("redis-server", this.#args(), { stdio: ["ignore", "pipe", "pipe"] });
    this.#child = child;
    let output = "";
    return new Promise((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes("Ready to accept connections")) {
          child.stdout!.off("data", onData);
          child.stdout!.resume();
          resolve();
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.once("error", reject);
      child.once("exit", (code) => reject(new Error(`redis-server exited with ${code} before it was ready:\n${output}`)));
    });
  }

  /** Kill the server without letting it save (a crash). */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
  }

  /** Start the server again on the same port and folder (its data comes back when persistent). */
  async restart(): Promise<void> {
    await this.kill();
    await this.#launch();
  }

  /** Stop the server and remove its folder. */
  async stop(): Promise<void> {
    await this.kill("SIGTERM");
    rmSync(this.dir, { recursive: true, force: true });
  }
}
