import { readdir } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import { localCsvBackend } from "@themis/backend-local-csv";
import { type RunningServer, startServer } from "../src/index.js";
import { type Fixture, PROJECT, XSS_IMG, advanceRun, bigRow, makeFixture } from "./support/fixture.js";
import { COMPARE_PROJECT, type ComparedRuns, makeComparedRuns } from "./support/compared-runs.js";

const ROWS = 1_000;
let fixture: Fixture;
let server: RunningServer;
let compared: ComparedRuns;

beforeAll(async () => {
  fixture = await makeFixture(ROWS);
  compared = await makeComparedRuns(fixture.rootDir);
  server = await startServer({ storage: localCsvBackend, config: { rootDir: fixture.rootDir }, pollMs: 50 });
});
afterAll(async () => {
  await server?.close();
  await fixture?.cleanup();
});

/** A raw request (fetch would not let a test set Host), with the token unless told otherwise. */
function request(pathname: string, options: { host?: string; auth?: string | null; cookie?: string; method?: string } = {}) {
  const headers: Record<string, string> = { host: options.host ?? `127.0.0.1:${server.port}` };
  if (options.auth !== null) headers.authorization = `Bearer ${options.auth ?? server.token}`;
  if (options.cookie) headers.cookie = options.cookie;
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: server.port, path: pathname, method: options.method ?? "GET", headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}
const json = async (pathname: string) => {
  const res = await request(pathname);
  expect(res.status, res.body).toBe(200);
  return JSON.parse(res.body);
};
const rowsPath = (query: string) => `/api/projects/${PROJECT}/experiments/big/rows?${query}`;

describe("safe by default", () => {
  it("binds to loopback and prints a URL with a long random token", () => {
    expect(server.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/\\?token=[\\w-]{32}$`));
  });

  it("answers 401 without a token or with a wrong one", async () => {
    expect((await request("/api/projects", { auth: null })).status).toBe(401);
    expect((await request("/api/projects", { auth: "wrong" })).status).toBe(401);
    expect((await request("/", { auth: null })).status).toBe(401);
    expect((await request("/?token=wrong", { auth: null })).status).toBe(401);
  });

  it("answers 403 to a Host that is not this server (DNS rebinding)", async () => {
    const res = await request("/api/projects", { host: `evil.example:${server.port}` });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body).error.code).toBe("ERR_SERVE_BAD_HOST");
    expect((await request("/api/projects", { host: `localhost:${server.port}` })).status).toBe(200);
  });

  it("trades the URL's token for an HttpOnly SameSite=Strict cookie, then accepts the cookie", async () => {
    const res = await request(`/?token=${server.token}`, { auth: null });
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe("/");
    const cookie = res.headers["set-cookie"]![0]!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const pair = cookie.split(";")[0]!;
    expect((await request("/api/projects", { auth: null, cookie: pair })).status).toBe(200);
    expect((await request("/api/projects", { auth: null, cookie: pair.replace(/=.*/, "=nope") })).status).toBe(401);
  });

  it("sends no CORS headers, a strict CSP, and has no write routes", async () => {
    const res = await request("/api/projects");
    expect(res.headers["access-control-allow-origin"]).toBeUndefined();
    expect(res.headers["content-security-policy"]).toContain("script-src 'self'");
    for (const method of ["POST", "PUT", "DELETE"]) {
      expect((await request(`/api/projects/${PROJECT}/experiments/big/rows`, { method })).status).toBe(404);
    }
  });
});

describe("projects, tables and rows", () => {
  it("fails to start, with core's NotFoundError, for a named project that does not exist", async () => {
    await expect(startServer({ storage: localCsvBackend, config: { rootDir: fixture.rootDir }, project: "nope" })).rejects.toMatchObject({
      code: "ERR_THEMIS_NOT_FOUND",
    });
  });

  it("lists projects and their tables (internal tables hidden)", async () => {
    expect((await json("/api/projects")).projects).toEqual([COMPARE_PROJECT, PROJECT]);
    expect(await json(`/api/projects/${PROJECT}`)).toEqual({ name: PROJECT, datasets: ["qa"], experiments: ["big", "qa-run"] });
    const missing = await request("/api/projects/nope");
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body).error.code).toBe("ERR_THEMIS_NOT_FOUND");
  });

  it("pages rows in table order with the total and the columns", async () => {
    const page = await json(rowsPath("offset=990&limit=20"));
    expect(page.total).toBe(ROWS);
    expect(page.columns).toEqual(["_row_id", "i", "label", "score", "output"]);
    expect(page.rows.map((r: { i: number }) => r.i)).toEqual(Array.from({ length: 10 }, (_, k) => 990 + k));
  });

  it("sorts on the server, numbers numerically, both directions", async () => {
    const scores = Array.from({ length: ROWS }, (_, i) => bigRow(i).score).sort((a, b) => a - b);
    const asc = await json(rowsPath("sort=score&limit=5&offset=100"));
    expect(asc.rows.map((r: { score: number }) => r.score)).toEqual(scores.slice(100, 105));
    const desc = await json(rowsPath("sort=score&desc=true&limit=5"));
    expect(desc.rows.map((r: { score: number }) => r.score)).toEqual(scores.slice(-5).reverse());
  });

  it("filters on the server, in every value or in one column, case-insensitively", async () => {
    const any = await json(rowsPath("filter=ITEM-00099"));
    expect(any.rows.map((r: { i: number }) => r.i)).toEqual([990, 991, 992, 993, 994, 995, 996, 997, 998, 999]);
    expect(any.total).toBe(10);
    // Again, from the view cache (the pass stops after the last known match): the same answer.
    expect(await json(rowsPath("filter=ITEM-00099"))).toEqual(any);
    expect((await json(rowsPath("filter=ITEM-00099&offset=8"))).rows.map((r: { i: number }) => r.i)).toEqual([998, 999]);
    const nested = await json(rowsPath("filter=answer%20123&column=output"));
    expect(nested.rows.map((r: { i: number }) => r.i)).toEqual([123]);
    const sorted = await json(rowsPath("filter=item-0001&sort=score&desc=true"));
    expect(sorted.total).toBe(100);
    const expected = Array.from({ length: 100 }, (_, k) => bigRow(100 + k)).sort((a, b) => b.score - a.score);
    expect(sorted.rows.map((r: { i: number }) => r.i)).toEqual(expected.map((r) => r.i));
  });

  it("rejects a bad query with the field and reason", async () => {
    const res = await request(rowsPath("limit=100000"));
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).error).toMatchObject({ code: "ERR_SERVE_BAD_QUERY", message: expect.stringContaining("limit") });
  });

  it("returns one row's full JSON, exactly as stored", async () => {
    const [first] = (await json(`/api/projects/${PROJECT}/datasets/qa/rows?filter=onerror`)).rows;
    expect(first.question).toBe(XSS_IMG);
    expect(await json(`/api/projects/${PROJECT}/datasets/qa/rows/${first._row_id}`)).toEqual(first);
  });

  it("exports the current view as JSON Lines (exact) and CSV (nested values as JSON text)", async () => {
    const jsonl = await request(`/api/projects/${PROJECT}/experiments/big/export?format=jsonl&filter=item-00000&sort=i&desc=true`);
    expect(jsonl.headers["content-type"]).toMatch(/ndjson/);
    const rows = jsonl.body
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(rows.map((r) => r.i)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(rows[0].output).toEqual(bigRow(9).output);
    const csv = await request(`/api/projects/${PROJECT}/experiments/big/export?format=csv&filter=item-000001`);
    const [header, line, end] = csv.body.split("\r\n");
    expect(header).toBe("_row_id,i,label,score,output");
    expect(line).toMatch(/^[^,]+,1,item-000001,7919,"\{""text"":""answer 1"",""tokens"":1\}"$/);
    expect(end).toBe("");
  });
});

describe("read-only", () => {
  it("shows a project without runs as having none, and does not create its runs table", async () => {
    const other = await Project.create("no-runs", localCsvBackend, { rootDir: fixture.rootDir });
    await other.createDataset("d");
    expect((await json("/api/projects/no-runs/runs")).runs).toEqual([]);
    expect(await readdir(path.join(fixture.rootDir, "no-runs", "experiments")).catch(() => [])).toEqual([]);
    await other.close();
  });

  it("serves only the named project when given one", async () => {
    const only = await startServer({ storage: localCsvBackend, config: { rootDir: fixture.rootDir }, project: PROJECT });
    try {
      const res = await fetch(`http://127.0.0.1:${only.port}/api/projects`, { headers: { authorization: `Bearer ${only.token}` } });
      expect(await res.json()).toEqual({ projects: [PROJECT] }); // "no-runs" exists too, unserved
      const other = await fetch(`http://127.0.0.1:${only.port}/api/projects/no-runs`, { headers: { authorization: `Bearer ${only.token}` } });
      expect(other.status).toBe(404);
    } finally {
      await only.close();
    }
  });
});

describe("runs", () => {
  it("lists run records newest first, every field included", async () => {
    const { runs } = await json(`/api/projects/${PROJECT}/runs`);
    expect(runs.map((r: { run_id: string }) => r.run_id).slice(0, 2)).toEqual([fixture.liveRunId, fixture.staleRunId]);
    const real = runs[2];
    expect(real).toMatchObject({ experiment: "qa-run", status: "completed", parameters: { model: "echo", temperature: 0 }, counts: { succeeded: 3 } });
    expect(real.provenance.node).toBe(process.version);
    expect(runs[0].metrics).toEqual({ exact: { count: 10, mean: 0.5, p50: 1 } });
  });

  it("says what each run is now as core's runState decides it: a running record with an old heartbeat is stale", async () => {
    const { runs } = await json(`/api/projects/${PROJECT}/runs`);
    const states = Object.fromEntries(runs.map((r: { run_id: string; state: string }) => [r.run_id, r.state]));
    expect(states).toEqual({ [fixture.liveRunId]: "running", [fixture.staleRunId]: "stale", [runs[2].run_id]: "completed" });
    const dead = await json(`/api/projects/${PROJECT}/runs/${fixture.staleRunId}`);
    expect(dead).toMatchObject({ status: "running", state: "stale" }); // the stored status is kept as stored
  });

  it("streams a running run's record as Server-Sent Events until it ends", async () => {
    const events: { status: string; succeeded: number }[] = [];
    const res = await fetch(`http://127.0.0.1:${server.port}/api/projects/${PROJECT}/runs/${fixture.liveRunId}/events`, {
      headers: { authorization: `Bearer ${server.token}` },
    });
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    const next = async () => {
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = event.split("\n").find((l) => l.startsWith("data: "));
          if (data) {
            const run = JSON.parse(data.slice(6));
            events.push({ status: run.status, succeeded: run.counts.succeeded });
            return;
          }
          continue;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        buffer += value;
      }
    };
    await next();
    await advanceRun(fixture, 500);
    while (events.at(-1)!.succeeded !== 500) await next();
    await advanceRun(fixture, 1000, "completed");
    while (events.at(-1)!.status !== "completed") await next();
    expect(events.at(-1)).toEqual({ status: "completed", succeeded: 1000 });
    expect((await reader.read()).done).toBe(true);
    await advanceRun(fixture, 0, "running");
  });
});

describe("compare two runs", () => {
  const comparePath = (query: string) => `/api/projects/${COMPARE_PROJECT}/compare?${query}`;
  type Metric = { metric: string; delta: number; significant: boolean; pairs: number; discordant: unknown };
  type Joined = { dataset_row_id: string; changed: boolean; a: { scores: { quality: number } }; b: { scores: { quality: number } } };

  it("gives core's per-metric deltas and tests: the planted +0.5 quality is significant, the equal `correct` is not", async () => {
    const page = await json(comparePath(`a=${compared.a}&b=${compared.b}`));
    expect(page.comparison.both).toBe(compared.rows);
    const metrics = Object.fromEntries(page.comparison.metrics.map((m: Metric) => [m.metric, m]));
    expect(metrics.quality).toMatchObject({ pairs: compared.rows, delta: 0.5, significant: true });
    expect(metrics.correct).toMatchObject({ pairs: compared.rows, delta: 0, significant: false, discordant: { aOnly: 0, bOnly: 0 } });
    expect({ total: page.total, changed: page.changed }).toEqual({ total: compared.rows, changed: compared.changed.length });
  });

  it("joins the rows on dataset row id and filters to the rows that changed, paged", async () => {
    const first = await json(comparePath(`a=${compared.a}&b=${compared.b}&changed=true&limit=15`));
    const second = await json(comparePath(`a=${compared.a}&b=${compared.b}&changed=true&limit=15&offset=15`));
    expect(first.total).toBe(compared.changed.length);
    const rows: Joined[] = [...first.rows, ...second.rows];
    expect(rows.map((r) => r.dataset_row_id).sort()).toEqual([...compared.changed].sort());
    for (const r of rows) expect({ changed: r.changed, delta: r.b.scores.quality - r.a.scores.quality }).toEqual({ changed: true, delta: 1 });
  });

  it("answers 400 without two run ids and 404 for a run that does not exist", async () => {
    const missing = await request(comparePath(`a=${compared.a}`));
    expect(missing.status).toBe(400);
    expect(JSON.parse(missing.body).error.code).toBe("ERR_SERVE_BAD_QUERY");
    const unknown = await request(comparePath(`a=${compared.a}&b=nope`));
    expect(unknown.status).toBe(404);
  });
});
