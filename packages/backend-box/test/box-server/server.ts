import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Faults, type FaultRule } from "./faults.ts";
import { type BoxApp, grantToken } from "./oauth.ts";
import { BoxHttpError, BoxState, randomKey } from "./state.ts";

/**
 * A small HTTP server that follows Box's published API (https://developer.box.com/reference/)
 * for the endpoints a CSV-per-table backend uses, so the real box-node-sdk can be tested
 * against it: folders, folder items (offset and marker paging), multipart upload, new
 * versions with If-Match, downloads through a 302 to a content URL, deletes, OAuth2 tokens.
 * It is a stand-in for the service, with fault injection (`/__control/*`) for tests.
 */

/** One handled request, as the control endpoint reports it. */
export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
  /** Milliseconds since the server started. */
  at: number;
  ifMatch?: string;
  /** For creates: `<parent id>/<name>`. */
  target?: string;
}

export interface BoxServerOptions {
  /** Port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** Developer tokens accepted as bearer tokens. */
  tokens?: readonly string[];
  /** Apps that may get tokens from `/oauth2/token`. */
  apps?: readonly BoxApp[];
}

export interface BoxServer {
  /** For `BaseUrls.baseUrl` (API calls go to `${baseUrl}/2.0/...`). */
  baseUrl: string;
  /** For `BaseUrls.uploadUrl`. */
  uploadUrl: string;
  /** For `BaseUrls.oauth2Url`. */
  oauth2Url: string;
  state: BoxState;
  faults: Faults;
  log: LoggedRequest[];
  /** TCP connections accepted so far (clients that keep connections alive open few). */
  connections(): number;
  close(): Promise<void>;
}

const MAX_LIMIT = 1000;
const MAX_OFFSET = 10_000;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function intParam(value: string | null, fallback: number, name: string): number {
  if (value === null) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new BoxHttpError(400, "bad_request", `Invalid value for ${name}`);
  return n;
}

/** Start the stand-in Box server on a free loopback port. */
export async function startBoxServer(options: BoxServerOptions = {}): Promise<BoxServer> {
  const state = new BoxState();
  const faults = new Faults();
  const log: LoggedRequest[] = [];
  const tokens = new Set(options.tokens ?? []);
  const apps = [...(options.apps ?? [])];
  const downloads = new Map<string, { fileId: string; versionId: string }>();
  const started = performance.now();
  let origin = "";

  const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void => {
    if (body === undefined) {
      res.writeHead(status, headers).end();
      return;
    }
    const data = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    res.writeHead(status, {
      "content-type": Buffer.isBuffer(body) ? "application/octet-stream" : "application/json",
      "content-length": String(data.length),
      ...headers,
    });
    res.end(data);
  };

  const sendError = (res: ServerResponse, e: BoxHttpError): void => {
    send(
      res,
      e.status,
      {
        type: "error",
        status: e.status,
        code: e.code,
        ...(e.contextInfo && { context_info: e.contextInfo }),
        help_url: "http://developers.box.com/docs/#errors",
        message: e.message,
        request_id: randomKey(8),
      },
      e.headers,
    );
  };

  async function route(req: IncomingMessage, res: ServerResponse, url: URL, truncate: boolean | "stall", entry?: LoggedRequest): Promise<void> {
    const method = req.method ?? "GET";
    const path = url.pathname;
    const q = url.searchParams;
    const ifMatch = req.headers["if-match"] as string | undefined;

    if (path === "/oauth2/token" && method === "POST") {
      const [status, body] = grantToken(new URLSearchParams((await readBody(req)).toString("utf8")), apps, tokens);
      return send(res, status, body);
    }
    // Signed content URLs, like dl.boxcloud.com: no bearer token needed.
    const dl = /^\/dl\/(\d+)\/([0-9a-f]+)$/.exec(path);
    if (dl && method === "GET") {
      const target = downloads.get(dl[2]!);
      if (!target || target.fileId !== dl[1]) throw new BoxHttpError(404, "not_found", "Not Found");
      const content = state.version(target.fileId, target.versionId).content;
      if (truncate === "stall") {
        // A stalled transfer: the length announced, half the bytes sent, then silence.
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(content.length) });
        res.write(content.subarray(0, Math.floor(content.length / 2)));
        return;
      }
      if (truncate) {
        // A torn transfer: the length announced, half the bytes sent, connection closed.
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(content.length) });
        res.write(content.subarray(0, Math.floor(content.length / 2)));
        res.destroy();
        return;
      }
      return send(res, 200, content);
    }

    const auth = req.headers.authorization;
    if (!auth?.startsWith("Bearer ") || !tokens.has(auth.slice(7))) {
      throw new BoxHttpError(401, "unauthorized", "Unauthorized", undefined, {
        "www-authenticate": 'Bearer realm="Service", error="invalid_token", error_description="The access token provided is invalid."',
      });
    }

    let m: RegExpExecArray | null;
    m = /^\/2\.0\/folders\/(\d+)$/.exec(path);
    if (m) {
      const id = m[1]!;
      if (method === "GET") return send(res, 200, state.full(state.folder(id)));
      if (method === "DELETE") {
        state.deleteFolder(id, q.get("recursive") === "true", ifMatch);
        return send(res, 204);
      }
    }
    if (path === "/2.0/folders" && method === "POST") {
      const body = JSON.parse((await readBody(req)).toString("utf8") || "{}") as { name?: unknown; parent?: { id?: unknown } };
      if (typeof body.parent?.id !== "string") throw new BoxHttpError(400, "bad_request", "parent.id is required");
      if (entry) entry.target = `${body.parent.id}/${String(body.name)}`;
      return send(res, 201, state.full(state.createFolder(body.parent.id, body.name)));
    }
    m = /^\/2\.0\/folders\/(\d+)\/items$/.exec(path);
    if (m && method === "GET") {
      const items = state.children(m[1]!);
      const limit = Math.min(intParam(q.get("limit"), 100, "limit"), MAX_LIMIT);
      if (q.get("usemarker") === "true") {
        // Markers are opaque to clients; here they encode the next position.
        const start = q.get("marker") ? Number.parseInt(Buffer.from(q.get("marker")!, "base64url").toString("utf8"), 10) : 0;
        if (!Number.isInteger(start) || start < 0) throw new BoxHttpError(400, "invalid_parameter", "Invalid marker");
        const entries = items.slice(start, start + limit).map((i) => state.mini(i));
        const next = start + limit < items.length ? Buffer.from(String(start + limit)).toString("base64url") : null;
        return send(res, 200, { entries, limit, next_marker: next });
      }
      const offset = intParam(q.get("offset"), 0, "offset");
      if (offset > MAX_OFFSET) throw new BoxHttpError(400, "bad_request", "Offset too large: use marker-based paging");
      return send(res, 200, {
        total_count: items.length,
        entries: items.slice(offset, offset + limit).map((i) => state.mini(i)),
        offset,
        limit,
        order: [
          { by: "type", direction: "ASC" },
          { by: "name", direction: "ASC" },
        ],
      });
    }
    m = /^\/2\.0\/files\/(\d+)$/.exec(path);
    if (m) {
      const id = m[1]!;
      if (method === "GET") return send(res, 200, state.full(state.file(id)));
      if (method === "DELETE") {
        state.deleteFile(id, ifMatch);
        return send(res, 204);
      }
    }
    m = /^\/2\.0\/files\/(\d+)\/content$/.exec(path);
    if (m && method === "GET") {
      const version = state.version(m[1]!, q.get("version") ?? undefined);
      const key = randomKey();
      downloads.set(key, { fileId: m[1]!, versionId: version.id });
      return send(res, 302, undefined, { location: `${origin}/dl/${m[1]}/${key}` });
    }
    m = /^\/api\/2\.0\/files(?:\/(\d+))?\/content$/.exec(path);
    if (m && method === "POST") {
      const fileId = m[1];
      const body = await readBody(req);
      const form = await new Response(body, { headers: { "content-type": req.headers["content-type"] ?? "" } }).formData().catch(() => {
        throw new BoxHttpError(400, "bad_request", "Malformed multipart body");
      });
      const parts = [...form.keys()];
      if (parts.indexOf("attributes") < 0 || parts.indexOf("file") < 0) throw new BoxHttpError(400, "bad_request", "attributes and file are required");
      if (parts.indexOf("attributes") > parts.indexOf("file"))
        throw new BoxHttpError(400, "metadata_after_file_contents", "Metadata must come before file contents");
      const attributes = JSON.parse(String(form.get("attributes"))) as { name?: unknown; parent?: { id?: unknown } };
      const file = form.get("file");
      if (typeof file === "string" || file === null) throw new BoxHttpError(400, "bad_request", "file must be a file part");
      const content = Buffer.from(await file.arrayBuffer());
      const item =
        fileId === undefined
          ? state.uploadFile(String(attributes.parent?.id ?? ""), attributes.name, content)
          : state.uploadVersion(fileId, content, ifMatch, attributes.name);
      return send(res, 201, { total_count: 1, entries: [state.full(item)] });
    }
    throw new BoxHttpError(404, "not_found", `No route for ${method} ${path}`);
  }

  async function control(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? "GET";
    if (url.pathname === "/__control/faults" && method === "POST") {
      faults.add(JSON.parse((await readBody(req)).toString("utf8")) as FaultRule);
      return send(res, 204);
    }
    if (url.pathname === "/__control/faults" && method === "DELETE") {
      faults.clear(url.searchParams.get("owner") ?? undefined);
      return send(res, 204);
    }
    if (url.pathname === "/__control/log" && method === "GET") return send(res, 200, log);
    if (url.pathname === "/__control/log" && method === "DELETE") {
      log.length = 0;
      return send(res, 204);
    }
    if (url.pathname === "/__control/apps" && method === "POST") {
      apps.push(JSON.parse((await readBody(req)).toString("utf8")) as BoxApp);
      return send(res, 204);
    }
    if (url.pathname === "/__control/tokens" && method === "POST") {
      tokens.add((await readBody(req)).toString("utf8"));
      return send(res, 204);
    }
    send(res, 404, { error: "unknown control endpoint" });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", origin);
    if (url.pathname.startsWith("/__control/")) {
      control(req, res, url).catch((e: unknown) => send(res, 500, { error: String(e) }));
      return;
    }
    const method = req.method ?? "GET";
    // Test oracles read what is stored without being hit by faults or showing in the log.
    if (req.headers["x-stand-in-oracle"] === "1") {
      route(req, res, url, false).catch((e: unknown) =>
        sendError(res, e instanceof BoxHttpError ? e : new BoxHttpError(500, "internal_server_error", String(e))),
      );
      return;
    }
    const entry: LoggedRequest = { method, path: url.pathname, status: 0, at: performance.now() - started };
    if (typeof req.headers["if-match"] === "string") entry.ifMatch = req.headers["if-match"];
    log.push(entry);
    res.on("finish", () => (entry.status = res.statusCode));
    res.on("close", () => (entry.status ||= res.statusCode));
    (async () => {
      const fault = await faults.apply(method, url.pathname);
      if (fault?.status !== undefined && fault.afterHandling) {
        // The request takes effect, but its answer is lost: the client sees only the error.
        const sink = Object.assign(Object.create(res) as ServerResponse, { writeHead: () => sink, end: () => sink, write: () => true });
        await route(req, sink, url, false, entry);
        throw new BoxHttpError(
          fault.status,
          fault.code ?? "error",
          "Injected fault after handling",
          undefined,
          fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) },
        );
      }
      if (fault?.status !== undefined) {
        // Drain the request body first, as a real server does, so the client sees the answer.
        await readBody(req);
        const headers: Record<string, string> = fault.retryAfter === undefined ? {} : { "retry-after": String(fault.retryAfter) };
        throw new BoxHttpError(fault.status, fault.code ?? "error", "Injected fault", undefined, headers);
      }
      await route(req, res, url, fault?.stall === true ? "stall" : fault?.truncate === true, entry);
    })().catch((e: unknown) => {
      if (res.headersSent) return;
      if (e instanceof BoxHttpError) sendError(res, e);
      else sendError(res, new BoxHttpError(500, "internal_server_error", e instanceof Error ? e.message : String(e)));
    });
  });
  // Box keeps connections alive; so does this server, to keep client behaviour realistic.
  server.keepAliveTimeout = 5_000;
  let connections = 0;
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl: origin,
    uploadUrl: `${origin}/api`,
    oauth2Url: `${origin}/oauth2`,
    state,
    faults,
    log,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        faults.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
