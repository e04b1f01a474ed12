// The app in a real Chromium against a real server on a real local/csv project.
import { mkdtempSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { localCsvBackend } from "@themis/backend-local-csv";
import { type RunningServer, startServer } from "../src/index.js";
import { chromiumAvailable, launchBrowser } from "./support/browser.js";
import { COMPARE_PROJECT, type ComparedRuns, makeComparedRuns } from "./support/compared-runs.js";
import { type Fixture, PROJECT, XSS_IMG, XSS_LINK, XSS_SCRIPT, advanceRun, bigRow, makeFixture } from "./support/fixture.js";

const ROWS = 100_000;
const MAX_ROW_ELEMENTS = 60;
// The README's screenshots: written into docs/ with UPDATE_SCREENSHOTS=1 (then committed),
// else into a temp folder, so a test run never dirties the work tree.
const DOCS =
  process.env.UPDATE_SCREENSHOTS === "1" ? new URL("../docs/", import.meta.url) : pathToFileURL(`${mkdtempSync(path.join(tmpdir(), "themis-serve-shots-"))}/`);

describe.runIf(chromiumAvailable)("the result browser in Chromium", () => {
  let fixture: Fixture;
  let server: RunningServer;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let context: BrowserContext;
  let page: Page;
  let compared: ComparedRuns;

  beforeAll(async () => {
    fixture = await makeFixture(ROWS);
    compared = await makeComparedRuns(fixture.rootDir);
    server = await startServer({ storage: localCsvBackend, config: { rootDir: fixture.rootDir }, pollMs: 100 });
    browser = await launchBrowser();
    context = browser.context;
    page = await context.newPage();
    // A loaded 2-core CI machine can take seconds per pass over 100k rows: wait generously
    // (conditions, never fixed sleeps).
    page.setDefaultTimeout(90_000);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await fixture?.cleanup();
  });

  const origin = () => `http://127.0.0.1:${server.port}`;
  const rowElements = () => page.locator(".scroller .tr").count();
  /** The text of the first visible row's cell in `column` (null before it is drawn). */
  const firstCell = async (column: string): Promise<string | null> => {
    const columns = await page.locator(".grid-head .th").evaluateAll((ths) => ths.map((th) => th.getAttribute("data-col")));
    const cell = page.locator('.scroller .tr[data-index="0"] .td').nth(columns.indexOf(column));
    return (await cell.count()) === 0 ? null : cell.textContent();
  };

  it("refuses a browser without the token", async () => {
    const res = await page.goto(`${origin()}/`);
    expect(res!.status()).toBe(401);
    expect((await page.goto(`${origin()}/?token=wrong`))!.status()).toBe(401);
  });

  it("opens with the printed URL and navigates projects → project → tables and runs", async () => {
    await page.goto(server.url);
    expect(new URL(page.url()).search).toBe(""); // the token left the address bar
    await page.getByRole("link", { name: PROJECT }).click();
    await page.getByRole("heading", { name: "experiments" }).waitFor();
    for (const name of ["qa", "big", "qa-run", fixture.liveRunId]) await page.getByRole("link", { name, exact: true }).waitFor();
    expect(await page.locator("table.runs .status").allTextContents()).toEqual(["running", "stale", "completed"]);
  });

  it("shows a 100k-row experiment with at most 60 row elements while scrolling", async () => {
    await page.getByRole("link", { name: "big", exact: true }).click();
    await page.getByTestId("total").filter({ hasText: "100,000 rows" }).waitFor();
    await page.locator('.tr[data-index="0"] .td').first().waitFor();
    expect(await rowElements()).toBeLessThanOrEqual(MAX_ROW_ELEMENTS);
    for (const target of [1_000, 50_000, ROWS - 1]) {
      await page.getByTestId("scroller").evaluate((el, top) => (el.scrollTop = top), target * 28);
      await page
        .locator(`.tr[data-index="${target}"]`)
        .filter({ hasText: bigRow(target).label })
        .waitFor();
      expect(await rowElements()).toBeLessThanOrEqual(MAX_ROW_ELEMENTS);
    }
  });

  it("hides and shows columns with the column picker", async () => {
    const picker = page.locator("details.picker");
    await picker.locator("summary").click();
    expect(await page.locator(".grid-head .th").evaluateAll((ths) => ths.map((th) => th.getAttribute("data-col")))).toEqual([
      "_row_id",
      "i",
      "label",
      "score",
      "output",
    ]);
    await picker.getByLabel("output").uncheck();
    await page.locator('.th[data-col="output"]').waitFor({ state: "detached" });
    expect(await page.locator(".scroller .tr").first().locator(".td").count()).toBe(4);
    await picker.getByLabel("output").check();
    await page.locator('.th[data-col="output"]').waitFor();
    await picker.locator("summary").click();
  });

  it("sorts and filters 100k rows on the server", async () => {
    const scores = Array.from({ length: ROWS }, (_, i) => bigRow(i).score).sort((a, b) => a - b);
    await page.locator('.th[data-col="score"]').click();
    await expect.poll(() => firstCell("score"), { timeout: 60_000 }).toBe(String(scores[0]));
    await page.locator('.th[data-col="score"]').click();
    await expect.poll(() => firstCell("score"), { timeout: 60_000 }).toBe(String(scores.at(-1)));
    await page.getByRole("searchbox", { name: "filter" }).fill("item-09999");
    await page
      .getByTestId("total")
      .filter({ hasText: /^10 rows$/ })
      .waitFor({ timeout: 60_000 });
    const labels = await page.locator(".scroller .tr").evaluateAll((rows) => rows.map((r) => r.textContent ?? ""));
    expect(labels.every((l) => l.includes("item-09999"))).toBe(true);
    // Highest score first among the ten rows that match.
    const best = Array.from({ length: 10 }, (_, k) => bigRow(99_990 + k)).sort((a, b) => b.score - a.score)[0]!;
    await expect.poll(() => firstCell("label"), { timeout: 60_000 }).toBe(best.label);
    // The export link gives the view as shown: filtered, in the same order (the browser's cookie).
    const link = await page.getByRole("link", { name: "JSONL" }).getAttribute("href");
    const exported = await page.request.get(`${origin()}${link}`);
    const rows = (await exported.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { i: number });
    const expected = Array.from({ length: 10 }, (_, k) => bigRow(99_990 + k)).sort((a, b) => b.score - a.score);
    expect(rows.map((r) => r.i)).toEqual(expected.map((r) => r.i));
  });

  it("shows a row's full JSON in a side panel, nested values readable", async () => {
    await page.getByRole("searchbox", { name: "filter" }).fill("");
    await page.getByTestId("total").filter({ hasText: "100,000 rows" }).waitFor({ timeout: 60_000 });
    const top = Math.max(...Array.from({ length: ROWS }, (_, i) => bigRow(i).score));
    await expect.poll(() => firstCell("score"), { timeout: 60_000 }).toBe(String(top)); // still sorted, highest first
    await page.locator('.tr[data-index="0"]').click();
    const panel = page.getByTestId("row-panel");
    await panel.getByText('"text": "answer').waitFor();
    await mkdir(DOCS, { recursive: true });
    await page.screenshot({ path: new URL("screenshot.png", DOCS).pathname });
  });

  it("renders stored markup and javascript: values as text: nothing runs", async () => {
    await page.evaluate(() => delete (globalThis as { __xss?: unknown }).__xss);
    await page.goto(`${origin()}/#/p/${PROJECT}/datasets/qa`);
    const cell = page.locator(".scroller .td").filter({ hasText: XSS_IMG });
    await cell.waitFor();
    await cell.click();
    const panel = page.getByTestId("row-panel");
    for (const text of [XSS_IMG, XSS_SCRIPT, XSS_LINK]) await panel.getByText(text, { exact: true }).waitFor();
    // The values are text nodes: no element was made from them, no handler ran, no link exists.
    expect(await page.locator("main img, main script, main a[href^='javascript']").count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as { __xss?: unknown }).__xss)).toBeUndefined();
    // Long text wraps inside the panel instead of widening it.
    await page
      .locator(".scroller .td")
      .filter({ hasText: /^long$/ })
      .click();
    const box = await panel.getByText("word word", { exact: false }).boundingBox();
    const panelBox = await panel.boundingBox();
    expect(box!.width).toBeLessThanOrEqual(panelBox!.width);
  });

  it("compares two ticked runs: per-metric deltas with significance, then only the rows that changed", async () => {
    await page.goto(`${origin()}/#/p/${COMPARE_PROJECT}`);
    await page.getByRole("checkbox", { name: `compare ${compared.a}` }).check();
    await page.getByRole("checkbox", { name: `compare ${compared.b}` }).check();
    await page.getByRole("link", { name: "compare the two ticked runs" }).click();
    const metrics = page.getByTestId("compare-metrics");
    const quality = metrics.getByRole("row").filter({ hasText: /^quality/ });
    await quality.waitFor();
    expect(await quality.getByRole("cell").allTextContents()).toEqual([
      "quality",
      "40",
      expect.any(String),
      expect.any(String),
      "+0.5",
      expect.stringMatching(/^\[/),
      expect.any(String),
      "yes",
    ]);
    expect(
      await metrics
        .getByRole("row")
        .filter({ hasText: /^correct/ })
        .getByRole("cell")
        .last()
        .textContent(),
    ).toBe("no");
    await page
      .getByTestId("compare-count")
      .filter({ hasText: `${compared.rows} rows, ${compared.changed.length} changed` })
      .waitFor();
    await page.getByRole("checkbox", { name: "only rows that changed" }).check();
    await page
      .getByTestId("compare-count")
      .filter({ hasText: `${compared.changed.length} rows, ${compared.changed.length} changed` })
      .waitFor();
    const ids = await page.getByTestId("compare-rows").locator("tbody tr td:first-child").allTextContents();
    expect(ids.sort()).toEqual([...compared.changed].sort());
    await mkdir(DOCS, { recursive: true });
    await page.screenshot({ path: new URL("screenshot-compare.png", DOCS).pathname, fullPage: true });
  });

  it("marks a run whose runner stopped beating as stale on its own page too", async () => {
    await page.goto(`${origin()}/#/p/${PROJECT}/runs/${fixture.staleRunId}`);
    await page
      .getByTestId("run-status")
      .filter({ hasText: /^stale$/ })
      .waitFor();
  });

  it("shows a running run's progress live, then its end", async () => {
    await page.goto(`${origin()}/#/p/${PROJECT}/runs/${fixture.liveRunId}`);
    await page.getByTestId("run-progress").filter({ hasText: "0/1000" }).waitFor();
    await page
      .getByRole("cell", { name: "p50" })
      .or(page.getByRole("columnheader", { name: "p50" }))
      .first()
      .waitFor();
    await advanceRun(fixture, 420);
    await page.getByTestId("run-progress").filter({ hasText: "420/1000" }).waitFor();
    await mkdir(DOCS, { recursive: true });
    await page.screenshot({ path: new URL("screenshot-run.png", DOCS).pathname, fullPage: true });
    await advanceRun(fixture, 1000, "completed");
    await page.getByTestId("run-status").filter({ hasText: "completed" }).waitFor();
    await expect.poll(() => page.getByTestId("run-progress").textContent(), { timeout: 60_000 }).toBe("1000/1000");
  });
});
