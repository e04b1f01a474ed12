import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "@themis/conformance";

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.resolve(here, "..", "..", "node_modules", ".bin", "azurite-blob");

/** Azurite's well-known development account (public, documented by Microsoft). */
export const DEV_ACCOUNT = "devstoreaccount1";
export const DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/** A connection string for the development account at `endpoint`. */
export function devConnectionString(endpoint: string): string {
  return `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};BlobEndpoint=${endpoint};`;
}

/** Why Azurite cannot be started here, or undefined. */
export function azuriteMissing(): string | undefined {
  return existsSync(BIN) ? undefined : `${BIN} not found (pnpm install installs the azurite devDependency)`;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** An Azurite blob service on a free loopback port, storing in a temp folder. */
export class Azurite {
  readonly endpoint: string;
  readonly connectionString: string;
  readonly #child: ChildProcess;
  readonly #dir: string;

  private constructor(port: number, child: ChildProcess, dir: string) {
    this.endpoint = `http://127.0.0.1:${port}/${DEV_ACCOUNT}`;
    this.connectionString = devConnectionString(this.endpoint);
    this.#child = child;
    this.#dir = dir;
  }

  static async start(): Promise<Azurite> {
    const dir = mkdtempSync(path.join(tmpdir(), "themis-azurite-"));
    const port = await freePort();
    const args = [
      "--blobHost",
      "127.0.0.1",
      "--blobPort",
      String(port),
      "--location",
      dir,
      "--skipApiVersionCheck",
      "--loose",
      "--disableTelemetry",
      "--silent",
    ];
    const child = spawn(BIN, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    // Wait on the condition (the port accepts), not on a clock; give up only if the process ends.
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`azurite exited before listening: ${stderr}`);
      }
      if (await accepts(port)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return new Azurite(port, child, dir);
  }

  /** Stop the server (SIGKILL: the tests use it as a server that goes away) and remove its folder. */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      const exited = new Promise((r) => this.#child.once("exit", r));
      this.#child.kill("SIGKILL");
      await exited;
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
