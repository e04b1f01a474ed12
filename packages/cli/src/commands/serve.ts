import { type Command, InvalidArgumentError } from "commander";
import type { Action } from "../action.js";
import { EXIT_OK } from "../exit-codes.js";
import { type StorageFlags, withStorageFlags } from "../storage-options.js";

interface ServeFlags extends StorageFlags {
  project?: string;
  port: number;
  host: string;
  allowHost?: string[];
  export?: string;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n > 65_535) throw new InvalidArgumentError("expected a port number 0-65535 (0: any free port)");
  return n;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1)$/;

/** Resolves on the first SIGINT or SIGTERM: the server runs until then. */
function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve(signal);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/** `themis serve`: the result browser (@themis/serve) over the configured storage, until Ctrl-C. */
export function serveCommand(program: Command, action: Action): void {
  withStorageFlags(
    program
      .command("serve")
      .description("browse projects, tables and runs in a local web app (read-only; a token in the printed URL)")
      .option("-p, --project <project>", "serve only this project (default: the themis config's project, else every project)")
      .option("--port <port>", "port to listen on (default 0: any free port)", parsePort, 0)
      .option("--host <host>", "interface to bind; anything but loopback exposes your data to the network", "127.0.0.1")
      .option(
        "--allow-host <name>",
        "another Host header name to answer (a machine name when binding beyond loopback; repeatable)",
        (v: string, prev: string[] = []) => [...prev, v],
      )
      .option("--export <dir>", "write a static, read-only snapshot into a new (or empty) folder instead of serving; open DIR/index.html from disk"),
  ).action(
    action(async (ctx, flags: ServeFlags) => {
      const project = flags.project ?? (await ctx.config())?.project;
      const { backend, label } = await ctx.openStorage(flags.storage, flags.option);
      if (flags.export !== undefined) {
        const { exportSite } = await import("@themis/serve");
        const done = await exportSite({ storage: backend, dir: flags.export, ...(project !== undefined ? { project } : {}) });
        ctx.out.data({ ...done, storage: label, project: project ?? null });
        ctx.out.line(
          `themis serve --export: ${done.projects} project(s), ${done.tables} table(s) (${done.rows.toLocaleString("en")} rows), ${done.runs} run(s), ${done.comparisons} comparison(s) from ${label}`,
        );
        ctx.out.line(`wrote ${done.files} files (${(done.bytes / 1e6).toFixed(1)} MB) into ${done.dir}`);
        ctx.out.line(`open ${done.url}`);
        return EXIT_OK;
      }
      if (!LOOPBACK.test(flags.host))
        ctx.out.note(`warning: listening on ${flags.host}: anyone who can reach it and has the token can read every served project`);
      // Imported here, not at the top: the server (Hono, the UI) costs every other command nothing.
      const { startServer } = await import("@themis/serve");
      const server = await startServer({
        storage: backend,
        port: flags.port,
        host: flags.host,
        ...(project !== undefined ? { project } : {}),
        ...(flags.allowHost ? { allowedHosts: flags.allowHost } : {}),
      });
      const stopped = untilStopped();
      ctx.out.data({ url: server.url, port: server.port, storage: label, project: project ?? null });
      ctx.out.line(`themis serve: ${project !== undefined ? `project "${project}"` : "every project"} on ${label}`);
      ctx.out.line(`open ${server.url}`);
      ctx.out.note("(read-only; Ctrl-C stops)");
      await stopped;
      await server.close();
      return EXIT_OK;
    }),
  );
}
