import { Hono } from "hono";
import type { TableKind } from "@themis/core";
import type { Catalog } from "./catalog.js";
import { exportLines } from "./export-rows.js";
import { HttpError, errorResponse } from "./http-error.js";
import { parseRowQuery } from "./query-params.js";
import { queryRows } from "./row-query.js";
import { runEvents } from "./run-events.js";
import { hostGuard, securityHeaders, tokenGuard } from "./security.js";
import { SnapshotCache } from "./table-snapshot.js";
import type { Asset } from "./ui-assets.js";
import { ViewCache } from "./view-cache.js";

/** What {@link createApp} needs besides the catalog. */
export interface AppOptions {
  token: string;
  /** Host header values to answer (known once the server listens). */
  allowedHosts: () => Set<string>;
  port: () => number;
  assets: Map<string, Asset>;
  /** How often live run views re-read the run record, in ms. */
  pollMs?: number;
  /** Memory for table snapshots, in bytes (default 256 MB; 0: stream every query). See {@link SnapshotCache}. */
  cacheBytes?: number;
}

const KINDS: Record<string, TableKind> = { datasets: "dataset", experiments: "experiment" };

function kindOf(segment: string): TableKind {
  const kind = KINDS[segment];
  if (!kind) throw new HttpError(404, "ERR_SERVE_NOT_FOUND", `no such table kind "${segment}" (datasets or experiments)`);
  return kind;
}

/**
 * The read-only HTTP app: the JSON API under `/api`, the prebuilt UI elsewhere, behind
 * the Host allowlist and the token. Only GET routes exist; no CORS headers are ever sent.
 */
export function createApp(catalog: Catalog, options: AppOptions): Hono {
  const app = new Hono();
  const views = new ViewCache();
  const snapshots = new SnapshotCache(options.cacheBytes !== undefined ? { maxBytes: options.cacheBytes } : {});
  app.use(securityHeaders, hostGuard(options.allowedHosts), tokenGuard(options.token, options.port));
  app.onError((error, c) => {
    const { status, body } = errorResponse(error);
    if (status === 500) console.error("[themis serve]", error);
    return c.json(body, status);
  });

  app.get("/api/projects", async (c) => c.json({ projects: await catalog.projectNames() }));
  app.get("/api/projects/:project", async (c) => c.json(await catalog.project(c.req.param("project"))));

  const table = (c: { req: { param: (k: "project" | "kind" | "name") => string } }) =>
    catalog.table(c.req.param("project"), kindOf(c.req.param("kind")), c.req.param("name"));

  app.get("/api/projects/:project/:kind{datasets|experiments}/:name/rows", async (c) => {
    const t = await table(c);
    const key = JSON.stringify([c.req.param("project"), t.kind, t.name]);
    return c.json(await queryRows(() => t.entries(), parseRowQuery(c.req.query()), views, key, snapshots));
  });
  app.get("/api/projects/:project/:kind{datasets|experiments}/:name/rows/:id", async (c) => c.json(await (await table(c)).get(c.req.param("id"))));
  app.get("/api/projects/:project/:kind{datasets|experiments}/:name/export", async (c) => {
    const format = c.req.query("format") ?? "jsonl";
    if (format !== "csv" && format !== "jsonl") throw new HttpError(400, "ERR_SERVE_BAD_QUERY", "format: csv or jsonl");
    const t = await table(c);
    const { offset: _o, limit: _l, ...query } = parseRowQuery(c.req.query());
    const file = `${t.name}.${format}`.replace(/[^\w.-]/g, "_");
    c.header("Content-Type", format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8");
    c.header("Content-Disposition", `attachment; filename="${file}"`);
    return c.body(textStream(exportLines(() => t.entries(), query, format)));
  });

  app.get("/api/projects/:project/runs", async (c) => c.json({ runs: await catalog.runs(c.req.param("project"), c.req.query("experiment")) }));
  app.get("/api/projects/:project/runs/:id", async (c) => c.json(await catalog.run(c.req.param("project"), c.req.param("id"))));
  app.get("/api/projects/:project/compare", async (c) => c.json(await catalog.compare(c.req.param("project"), c.req.query())));
  app.get("/api/projects/:project/runs/:id/events", async (c) => {
    const project = c.req.param("project");
    const id = c.req.param("id");
    await catalog.run(project, id); // 404 before the stream starts
    return runEvents(c, () => catalog.run(project, id), options.pollMs);
  });
  app.all("/api/*", (c) => c.json({ error: { code: "ERR_SERVE_NOT_FOUND", message: "no such API route (the API is read-only: GET only)" } }, 404));

  app.get("*", (c) => {
    const known = options.assets.get(c.req.path);
    if (!known && c.req.path.startsWith("/assets/")) return c.text("not found", 404);
    const asset = known ?? options.assets.get("/index.html")!;
    // Vite names assets by content hash: they may be cached; the page itself may not.
    if (c.req.path.startsWith("/assets/")) c.header("Cache-Control", "public, max-age=31536000, immutable");
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, { "Content-Type": asset.type });
  });
  return app;
}

/** A byte stream of the generator's text, pulled as the client reads (backpressure), ended early when it goes. */
function textStream(lines: AsyncGenerator<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await lines.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await lines.return(undefined);
    },
  });
}
