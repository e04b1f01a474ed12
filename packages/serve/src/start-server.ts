import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Registry, StorageBackend, StorageBackendDefinition } from "@themis/core";
import { createApp } from "./app.js";
import { Catalog } from "./catalog.js";
import { allowedHosts, newToken } from "./security.js";
import { openStorage } from "./open-storage.js";
import { loadAssets } from "./ui-assets.js";

/** Options of {@link startServer}. */
export interface ServeOptions {
  /** Serve only this project (default: every project on the storage). */
  project?: string;
  /**
   * The storage: a backend instance (left open: you close it), a definition, or a registry
   * name or URI ("local/csv", "redis://…") created with `config` (closed with the server).
   */
  storage: string | StorageBackend | StorageBackendDefinition;
  /** The storage backend's config when `storage` is a name, URI or definition. */
  config?: Record<string, unknown>;
  /** Port (default 0: a free one). */
  port?: number;
  /** Interface to bind (default 127.0.0.1: this machine only). */
  host?: string;
  /** The access token (default: a fresh random one). */
  token?: string;
  /** More Host header names to answer, e.g. a machine name when binding beyond loopback. */
  allowedHosts?: string[];
  /** Registry to find `storage` in (default: the backends installed next to this app). */
  registry?: Registry;
  /** How often live run views re-read the run record, in ms (default 500). */
  pollMs?: number;
  /**
   * Memory the server may use to hold recently viewed tables for fast paging, filtering and
   * sorting, in bytes (default 256 MB; 0: read the table from the storage on every request).
   */
  cacheBytes?: number;
}

/** A running result browser. */
export interface RunningServer {
  /** The address to open, token included (`http://127.0.0.1:PORT/?token=…`): treat it as a secret. */
  url: string;
  port: number;
  token: string;
  /** Stop listening, close the projects and the storage when the server created it. */
  close(): Promise<void>;
}

/**
 * Start the result browser: a read-only web app over one storage backend, bound to
 * 127.0.0.1 with a random token by default.
 *
 * @example
 * const server = await startServer({ storage: "local/csv", config: { rootDir: "./data" } });
 * console.log(server.url); // open it in a browser
 * await server.close();
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const token = options.token ?? newToken();
  const assets = await loadAssets();
  const { storage, owned } = await openStorage(options);
  const catalog = new Catalog(storage, options.project);
  // A named project that does not exist fails here, with core's NotFoundError, not in the page.
  if (options.project !== undefined) {
    await catalog.project(options.project).catch(async (error: unknown) => {
      await catalog.close();
      if (owned) await storage.close();
      throw error;
    });
  }
  let port = options.port ?? 0;
  let hosts = new Set<string>();
  const app = createApp(catalog, {
    token,
    assets,
    port: () => port,
    allowedHosts: () => hosts,
    ...(options.pollMs ? { pollMs: options.pollMs } : {}),
    ...(options.cacheBytes !== undefined ? { cacheBytes: options.cacheBytes } : {}),
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port, hostname: host }, () => resolve(s));
    s.once("error", reject);
  }).catch(async (error: unknown) => {
    await catalog.close();
    if (owned) await storage.close();
    throw error;
  });
  port = (server.address() as AddressInfo).port;
  hosts = allowedHosts(host, port, options.allowedHosts);
  const urlHost = host.includes(":") ? `[${host}]` : host === "0.0.0.0" ? "127.0.0.1" : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${port}/?token=${token}`,
    port,
    token,
    close() {
      closing ??= (async () => {
        // Live event streams keep connections open: end them instead of waiting.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        await closed;
        await catalog.close();
        if (owned) await storage.close();
      })();
      return closing;
    },
  };
}
