// The same server over an s3 project: a real single-node Ceph radosgw (or S3_ENDPOINT with
// S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY), the one the s3 backend's own global setup starts
// (this project's vitest config runs that setup too; one server serves both).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import { s3Backend } from "@themis/backend-s3";
import { freshBucket, s3Server } from "../../backend-s3/test/support/env.js";
import { type RunningServer, startServer } from "../src/index.js";
import { chromiumAvailable, launchBrowser } from "./support/browser.js";
import { XSS_IMG, bigRow } from "./support/fixture.js";

const info = s3Server();
const ROWS = 3_000;

describe.runIf(info !== undefined)("on an s3 project", () => {
  let server: RunningServer;
  let config: { bucket: string; endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } };

  beforeAll(async () => {
    if (!info) throw new Error("no S3 server");
    // A bucket of its own: nothing of other tests is seen, and nothing needs cleaning on a shared server.
    const bucket = await freshBucket(info, "serve");
    config = { bucket, endpoint: info.endpoint, credentials: { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey } };
    const project = await Project.create("on-s3", s3Backend, config);
    await (await project.createDataset("qa")).appendMany([{ question: "2+2?" }, { question: XSS_IMG }]);
    await project.runExperiment({ dataset: "qa", experiment: "answers", task: (row) => ({ answer: String(row.question).length }) });
    const big = await project.createExperiment("big");
    await big.appendMany(Array.from({ length: ROWS }, (_, i) => bigRow(i)));
    await project.close();
    server = await startServer({ storage: s3Backend, config });
  });
  afterAll(async () => {
    await server?.close();
  });

  type Page = { rows: { _row_id: string; i: number }[]; total: number };
  // JSON answers, typed as the API documents them (and checked by the assertions).
  const get = async <T = unknown>(pathname: string): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${server.port}${pathname}`, { headers: { authorization: `Bearer ${server.token}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };

  it("lists the project, pages, sorts and filters its rows, and shows its runs", async () => {
    expect((await get<{ projects: string[] }>("/api/projects")).projects).toEqual(["on-s3"]);
    expect(await get("/api/projects/on-s3")).toEqual({ name: "on-s3", datasets: ["qa"], experiments: ["answers", "big"] });
    const page = await get<Page>("/api/projects/on-s3/experiments/big/rows?offset=2990&limit=20");
    expect(page.total).toBe(ROWS);
    expect(page.rows.map((r) => r.i)).toEqual(Array.from({ length: 10 }, (_, k) => 2990 + k));
    const sorted = await get<Page>("/api/projects/on-s3/experiments/big/rows?sort=score&desc=true&limit=3&filter=item-001");
    const expected = Array.from({ length: ROWS }, (_, i) => bigRow(i))
      .filter((r) => r.label.includes("item-001"))
      .sort((a, b) => b.score - a.score);
    expect(sorted.total).toBe(expected.length);
    expect(sorted.rows.map((r) => r.i)).toEqual(expected.slice(0, 3).map((r) => r.i));
    const { runs } = await get<{ runs: unknown[] }>("/api/projects/on-s3/runs");
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ experiment: "answers", status: "completed", state: "completed", counts: { succeeded: 2 } });
    const one = await get(`/api/projects/on-s3/experiments/big/rows/${page.rows[0]?._row_id}`);
    expect(one).toEqual(page.rows[0]);
  });

  it.runIf(chromiumAvailable)("opens in Chromium: the table and a stored markup value as text", async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      page.setDefaultTimeout(90_000);
      await page.goto(server.url);
      await page.goto(`http://127.0.0.1:${server.port}/#/p/on-s3/experiments/big`);
      await page
        .getByTestId("total")
        .filter({ hasText: `${ROWS.toLocaleString("en")} rows` })
        .waitFor();
      await page
        .locator('.tr[data-index="0"]')
        .filter({ hasText: bigRow(0).label })
        .waitFor();
      await page.goto(`http://127.0.0.1:${server.port}/#/p/on-s3/datasets/qa`);
      await page.locator(".scroller .td").filter({ hasText: XSS_IMG }).waitFor();
      expect(await page.locator("main img").count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as { __xss?: unknown }).__xss)).toBeUndefined();
    } finally {
      await browser.close();
    }
  });
});
