// `themis serve --export DIR`: a static snapshot written from a real local/csv project,
// opened from disk (file://) in Chromium, with no server and no network.
import { existsSync, mkdtempSync } from "node:fs";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { localCsvBackend } from "@themis/backend-local-csv";
import { type ExportSummary, exportSite } from "../src/index.js";
import { chromiumAvailable, launchBrowser } from "./support/browser.js";
import { COMPARE_PROJECT, type ComparedRuns, makeComparedRuns } from "./support/compared-runs.js";
import { type Fixture, PROJECT, XSS_IMG, XSS_LINK, XSS_SCRIPT, bigRow, makeFixture } from "./support/fixture.js";

const ROWS = 5_000;
const PAGE_ROWS = 500;

/** The value a data file holds (`__themisData(key, value);`), read as the page would, without running it. */
async function dataFile(dir: string, key: string): Promise<unknown> {
  const text = await readFile(path.join(dir, "data", `${key}.js`), "utf8");
  const match = /^__themisData\((".*?"),(.*)\);\n$/s.exec(text);
  expect(match?.[1]).toBe(JSON.stringify(key));
  return JSON.parse(match?.[2] ?? "null");
}

describe("a static export", () => {
  let fixture: Fixture;
  let compared: ComparedRuns;
  let scratch: string;
  let dir: string;
  let summary: ExportSummary;

  beforeAll(async () => {
    fixture = await makeFixture(ROWS);
    compared = await makeComparedRuns(fixture.rootDir);
    scratch = mkdtempSync(path.join(tmpdir(), "themis-export-"));
    dir = path.join(scratch, "snapshot");
    summary = await exportSite({ storage: localCsvBackend, config: { rootDir: fixture.rootDir }, dir, pageRows: PAGE_ROWS });
  });
  afterAll(async () => {
    await fixture?.cleanup();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it("writes the UI and every table as page files of at most pageRows rows", async () => {
    expect(summary).toMatchObject({ dir, url: `file://${dir}/index.html`, projects: 2 });
    // evals: qa (3), qa-run (3), big; compare: items (40), baseline (40), candidate (40).
    expect(summary.rows).toBe(3 + 3 + ROWS + 40 * 3);
    expect(summary.comparisons).toBeGreaterThanOrEqual(2);
    expect((await readdir(dir)).sort()).toEqual(["assets", "data", "index.html"]);
    expect((await readdir(scratch)).sort()).toEqual(["snapshot"]); // no staging folder left
    const index = (await dataFile(dir, "index")) as { projects: { name: string; key: string }[] };
    const evals = index.projects.find((p) => p.name === PROJECT);
    const project = (await dataFile(dir, `${evals?.key}/project`)) as { tables: Record<string, string> };
    const big = project.tables["experiments/big"];
    const meta = (await dataFile(dir, `${big}/meta`)) as { total: number; pages: number; pageRows: number; columns: string[] };
    expect(meta).toEqual({ total: ROWS, pages: ROWS / PAGE_ROWS, pageRows: PAGE_ROWS, columns: ["_row_id", "i", "label", "score", "output"] });
    const pages = await Promise.all(Array.from({ length: meta.pages }, (_, n) => dataFile(dir, `${big}/${n}`) as Promise<{ i: number }[]>));
    expect(pages.every((p) => p.length === PAGE_ROWS)).toBe(true);
    expect(pages.flat().map((r) => r.i)).toEqual(Array.from({ length: ROWS }, (_, i) => i));
  });

  it("refuses a folder that exists and is not empty, and leaves it as it was", async () => {
    const busy = path.join(scratch, "busy");
    await mkdir(busy);
    await writeFile(path.join(busy, "keep.txt"), "mine");
    const failed = exportSite({ storage: localCsvBackend, config: { rootDir: fixture.rootDir }, dir: busy });
    await expect(failed).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS", message: expect.stringContaining("not empty") });
    expect(await readdir(busy)).toEqual(["keep.txt"]);
    expect(await readFile(path.join(busy, "keep.txt"), "utf8")).toBe("mine");
  });

  it("refuses a folder it cannot write, with the reason", async () => {
    // Tests may run as root, which ignores permission bits: a folder under a file cannot be made by anyone.
    const file = path.join(scratch, "a-file");
    await writeFile(file, "x");
    const failed = exportSite({ storage: localCsvBackend, config: { rootDir: fixture.rootDir }, dir: path.join(file, "snapshot") });
    await expect(failed).rejects.toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE", message: expect.stringContaining("ENOTDIR") });
    expect(existsSync(path.join(file, "snapshot"))).toBe(false);
    expect((await readdir(scratch)).filter((f) => f.includes("partial"))).toEqual([]);
  });

  it("refuses a project that does not exist before making the folder", async () => {
    const target = path.join(scratch, "none");
    await expect(exportSite({ storage: localCsvBackend, config: { rootDir: fixture.rootDir }, dir: target, project: "nope" })).rejects.toMatchObject({
      code: "ERR_THEMIS_NOT_FOUND",
    });
    expect(existsSync(target)).toBe(false);
  });

  describe.runIf(chromiumAvailable)("opened from disk in Chromium", () => {
    let browser: Awaited<ReturnType<typeof launchBrowser>>;
    let page: Page;
    const requests: string[] = [];

    beforeAll(async () => {
      browser = await launchBrowser();
      page = await browser.context.newPage();
      page.setDefaultTimeout(60_000);
      page.on("request", (request) => requests.push(request.url()));
      page.on("console", (message) => {
        if (message.type() === "error") requests.push(`console error: ${message.text()}`);
      });
    });
    afterAll(async () => {
      await browser?.close();
    });

    // Sorting 100k rows in the page takes well over expect.poll's 1 s default on a loaded CI machine.
    const SETTLES = { timeout: 30_000 };
    const firstCell = async (column: string): Promise<string | null> => {
      const columns = await page.locator(".grid-head .th").evaluateAll((ths) => ths.map((th) => th.getAttribute("data-col")));
      const cell = page.locator('.scroller .tr[data-index="0"] .td').nth(columns.indexOf(column));
      return (await cell.count()) === 0 ? null : cell.textContent();
    };
    const pageFilesRead = () => requests.filter((u) => /\/data\/p\d+\/t\d+\/\d+\.js$/.test(u)).length;

    it("navigates projects → project → a table, reading only the page files in view", async () => {
      await page.goto(summary.url);
      await page.getByText("read-only export").waitFor();
      await page.getByRole("link", { name: PROJECT }).click();
      for (const name of ["qa", "big", "qa-run", fixture.liveRunId]) await page.getByRole("link", { name, exact: true }).waitFor();
      expect(await page.locator("table.runs .status").allTextContents()).toEqual(["running", "stale", "completed"]);
      const before = pageFilesRead();
      await page.getByRole("link", { name: "big", exact: true }).click();
      await page
        .getByTestId("total")
        .filter({ hasText: `${ROWS.toLocaleString("en")} rows` })
        .waitFor();
      await page
        .locator('.tr[data-index="0"]')
        .filter({ hasText: bigRow(0).label })
        .waitFor();
      expect(pageFilesRead() - before).toBe(1);
      await page.getByTestId("scroller").evaluate((el, top) => (el.scrollTop = top), (ROWS - 1) * 28);
      await page
        .locator(`.tr[data-index="${ROWS - 1}"]`)
        .filter({ hasText: bigRow(ROWS - 1).label })
        .waitFor();
      expect(await page.getByRole("link", { name: "CSV" }).count()).toBe(0); // no server to stream a download
    });

    it("sorts and filters the exported rows in the page", async () => {
      const rows = Array.from({ length: ROWS }, (_, i) => bigRow(i));
      await page.locator('.th[data-col="score"]').click();
      await expect.poll(() => firstCell("score"), SETTLES).toBe(String(Math.min(...rows.map((r) => r.score))));
      await page.locator('.th[data-col="score"]').click();
      await expect.poll(() => firstCell("score"), SETTLES).toBe(String(Math.max(...rows.map((r) => r.score))));
      await page.getByRole("searchbox", { name: "filter" }).fill("item-00049");
      await page
        .getByTestId("total")
        .filter({ hasText: /^10 rows$/ })
        .waitFor();
      const best = rows.filter((r) => r.label.includes("item-00049")).sort((a, b) => b.score - a.score)[0];
      await expect.poll(() => firstCell("label"), SETTLES).toBe(best?.label);
      await page.locator('.tr[data-index="0"]').click();
      await page.getByTestId("row-panel").getByText(`"text": "answer ${best?.i}"`).waitFor();
      // Sort off: the same filter in table order (from the texts kept by the first read).
      await page.getByTestId("row-panel").getByRole("button", { name: "close" }).click();
      await page.locator('.th[data-col="score"]').click();
      await expect.poll(() => firstCell("label"), SETTLES).toBe("item-000490");
      await page.getByRole("searchbox", { name: "filter" }).fill("item-00004");
      await expect.poll(() => firstCell("label"), SETTLES).toBe("item-000040");
      await page
        .getByTestId("total")
        .filter({ hasText: /^10 rows$/ })
        .waitFor();
    });

    it("shows stored markup and javascript: values as text: nothing runs", async () => {
      await page.goto(`${summary.url}#/p/${PROJECT}/datasets/qa`);
      const cell = page.locator(".scroller .td").filter({ hasText: XSS_IMG });
      await cell.waitFor();
      await cell.click();
      const panel = page.getByTestId("row-panel");
      for (const text of [XSS_IMG, XSS_SCRIPT, XSS_LINK]) await panel.getByText(text, { exact: true }).waitFor();
      expect(await page.locator("main img, main script, main a[href^='javascript']").count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as { __xss?: unknown }).__xss)).toBeUndefined();
    });

    it("shows a run and compares two runs as exported", async () => {
      await page.goto(`${summary.url}#/p/${PROJECT}/runs/${fixture.liveRunId}`);
      await page.getByTestId("run-progress").filter({ hasText: "0/1000" }).waitFor();
      await page.goto(`${summary.url}#/p/${COMPARE_PROJECT}`);
      await page.getByRole("checkbox", { name: `compare ${compared.a}` }).check();
      await page.getByRole("checkbox", { name: `compare ${compared.b}` }).check();
      await page.getByRole("link", { name: "compare the two ticked runs" }).click();
      const quality = page
        .getByTestId("compare-metrics")
        .getByRole("row")
        .filter({ hasText: /^quality/ });
      await quality.waitFor();
      expect(await quality.getByRole("cell").nth(4).textContent()).toBe("+0.5");
      await page.getByRole("checkbox", { name: "only rows that changed" }).check();
      await page
        .getByTestId("compare-count")
        .filter({ hasText: `${compared.changed.length} rows, ${compared.changed.length} changed` })
        .waitFor();
      const ids = await page.getByTestId("compare-rows").locator("tbody tr td:first-child").allTextContents();
      expect(ids.sort()).toEqual([...compared.changed].sort());
    });

    it("requested nothing but its own files (no network, no errors)", () => {
      expect(requests.length).toBeGreaterThan(10);
      expect(requests.filter((u) => !u.startsWith(`file://${dir}/`))).toEqual([]);
    });
  });
});
