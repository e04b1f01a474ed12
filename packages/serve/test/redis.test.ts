// The same server over a redis project: a real redis-server (or REDIS_URL), started the way
// the redis backend's own tests start theirs.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireService } from "@themis/conformance";
import { Project, parseBackendConfig } from "@themis/core";
import { redisBackend } from "@themis/backend-redis";
import { RedisServer, redisServerInstalled } from "../../backend-redis/test/support/redis-server.js";
import { type RunningServer, startServer } from "../src/index.js";
import { chromiumAvailable, launchBrowser } from "./support/browser.js";
import { XSS_IMG, bigRow } from "./support/fixture.js";

const external = process.env.REDIS_URL;
const available = requireService(
  "redis",
  external !== undefined || redisServerInstalled(),
  "redis-server is not installed (apt-get install redis-server) and REDIS_URL is not set",
);
const ROWS = 5_000;

describe.runIf(available)("on a redis project", () => {
  let redis: RedisServer | undefined;
  let server: RunningServer;
  let config: { url: string; keyPrefix: string };

  beforeAll(async () => {
    if (external === undefined) redis = await RedisServer.start();
    config = { url: external ?? redis!.url, keyPrefix: `themis-serve-test-${randomBytes(4).toString("hex")}` };
    const project = await Project.create("on-redis", redisBackend, config);
    await (await project.createDataset("qa")).appendMany([{ question: "2+2?" }, { question: XSS_IMG }]);
    await project.runExperiment({ dataset: "qa", experiment: "answers", task: (row) => ({ answer: String(row.question).length }) });
    const big = await project.createExperiment("big");
    await big.appendMany(Array.from({ length: ROWS }, (_, i) => bigRow(i)));
    await project.close();
    server = await startServer({ storage: redisBackend, config });
  });
  afterAll(async () => {
    await server?.close();
    if (!redis && config) {
      // A server we did not start: remove what the test wrote (its keys have their own prefix).
      const storage = await redisBackend.create(parseBackendConfig(redisBackend, config));
      await storage.deleteProject("on-redis");
      await storage.close();
    }
    await redis?.stop();
  });

  // JSON answers, checked by the assertions.
  // biome-ignore lint/suspicious/noExplicitAny: the assertions read the JSON answers loosely
  const get = async (pathname: string): Promise<any> => {
    const res = await fetch(`http://127.0.0.1:${server.port}${pathname}`, { headers: { authorization: `Bearer ${server.token}` } });
    expect(res.status).toBe(200);
    return res.json();
  };

  it("lists the project, pages, sorts and filters its rows, and shows its runs", async () => {
    expect((await get("/api/projects")).projects).toContain("on-redis");
    expect(await get("/api/projects/on-redis")).toEqual({ name: "on-redis", datasets: ["qa"], experiments: ["answers", "big"] });
    const sorted = await get("/api/projects/on-redis/experiments/big/rows?sort=score&desc=true&limit=3&filter=item-001");
    const expected = Array.from({ length: ROWS }, (_, i) => bigRow(i))
      .filter((r) => r.label.includes("item-001"))
      .sort((a, b) => b.score - a.score);
    expect(sorted.total).toBe(expected.length);
    expect(sorted.rows.map((r: { i: number }) => r.i)).toEqual(expected.slice(0, 3).map((r) => r.i));
    const { runs } = await get("/api/projects/on-redis/runs");
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ experiment: "answers", status: "completed", counts: { succeeded: 2 } });
  });

  it.runIf(chromiumAvailable)("opens in Chromium: the table and a stored markup value as text", async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.context.newPage();
      page.setDefaultTimeout(90_000);
      await page.goto(server.url);
      await page.goto(`http://127.0.0.1:${server.port}/#/p/on-redis/experiments/big`);
      await page
        .getByTestId("total")
        .filter({ hasText: `${ROWS.toLocaleString("en")} rows` })
        .waitFor();
      await page.goto(`http://127.0.0.1:${server.port}/#/p/on-redis/datasets/qa`);
      await page.locator(".scroller .td").filter({ hasText: XSS_IMG }).waitFor();
      expect(await page.locator("main img").count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as { __xss?: unknown }).__xss)).toBeUndefined();
    } finally {
      await browser.close();
    }
  });
});
