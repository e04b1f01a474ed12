import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { localCsvBackend } from "@themis/backend-local-csv";
import { samplePostprocessRows } from "@themis/conformance";
import { Project, type Row, memoryBackend, runPostprocess } from "@themis/core";
import { parquetReadObjects } from "hyparquet";
import Papa from "papaparse";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { archivePostprocessor, exportPostprocessor, summaryPostprocessor } from "../src/index.js";

let dir: string;
let project: Project;
beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "themis-pp-"));
  project = await Project.create("p", localCsvBackend, { rootDir: path.join(dir, "data") });
  await (await project.createExperiment("results")).appendMany(samplePostprocessRows());
});
afterEach(async () => {
  await project.close();
  await rm(dir, { recursive: true, force: true });
});

describe("summary", () => {
  it("summarises scores when rows have them, else the numeric and boolean fields of output", async () => {
    const report = await runPostprocess(project, summaryPostprocessor, { experiment: "results" });
    const data = report.data as { metrics: Record<string, { count: number; mean: number; min: number; max: number; p50: number }>; table: string };
    // Rows 0, 3, 6, ... carry scores: f1 = i/25, exact = i even. Row 24 failed (i % 5 === 4).
    const scored = [0, 3, 6, 12, 15, 18, 21];
    expect(data.metrics.f1).toMatchObject({ count: scored.length, min: 0, max: 21 / 25 });
    expect(data.metrics.exact?.mean).toBeCloseTo(scored.filter((i) => i % 2 === 0).length / scored.length);
    const plain = Array.from({ length: 25 }, (_, i) => i).filter((i) => i % 5 !== 4 && i % 3 !== 0);
    expect(data.metrics.score).toMatchObject({ count: plain.length, min: 0.1, max: 2.3 });
    expect(data.table.split("\n")[0]).toMatch(/^metric\s+count\s+mean\s+std\s+min\s+p50\s+max$/);
  });

  it("keeps only the metrics asked for and says which were not found", async () => {
    const report = await runPostprocess(project, summaryPostprocessor, { experiment: "results", config: { metrics: ["f1", "nope"] } });
    expect(Object.keys((report.data as { metrics: object }).metrics)).toEqual(["f1"]);
    expect(report.message).toContain("not found: nope");
  });
});

describe("export", () => {
  const rowsBack = (): Row[] => samplePostprocessRows();

  it("writes CSV that spreadsheets and pandas read: nested values as JSON text, formulas escaped", async () => {
    await (await project.getExperiment("results")).append({ _row_id: "evil", status: "ok", output: '=HYPERLINK("x")' });
    const file = path.join(dir, "out.csv");
    const report = await runPostprocess(project, exportPostprocessor, { experiment: "results", config: { path: file } });
    expect(report).toMatchObject({ rows: 26, artifacts: [file] });
    const parsed = Papa.parse<Record<string, string>>(readFileSync(file, "utf8"), { header: true, skipEmptyLines: true });
    expect(parsed.data).toHaveLength(26);
    expect(JSON.parse(parsed.data[0]?.output ?? "")).toEqual(rowsBack()[0]?.output);
    expect(parsed.data[25]?.output).toBe('\'=HYPERLINK("x")');
  });

  it("writes JSONL that round-trips every row, and only the columns asked for", async () => {
    const file = path.join(dir, "out.jsonl");
    await runPostprocess(project, exportPostprocessor, { experiment: "results", config: { path: file } });
    expect(
      readFileSync(file, "utf8")
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l)),
    ).toEqual(rowsBack());
    const narrow = path.join(dir, "narrow.jsonl");
    await runPostprocess(project, exportPostprocessor, { experiment: "results", config: { path: narrow, columns: ["_row_id", "status"] } });
    expect(JSON.parse(readFileSync(narrow, "utf8").split("\n")[0] ?? "")).toEqual({ _row_id: "r0", status: "ok" });
  });

  it("writes Parquet with typed columns (nested values as JSON)", async () => {
    const file = path.join(dir, "out.parquet");
    await runPostprocess(project, exportPostprocessor, { experiment: "results", config: { path: file } });
    const buffer = readFileSync(file);
    const back = await parquetReadObjects({ file: buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) });
    expect(back).toHaveLength(25);
    expect(back[0]).toMatchObject({ _row_id: "r0", status: "ok", output: rowsBack()[0]?.output, scores: { f1: 0, exact: true } });
    expect(back[1]?.scores).toBeNull(); // a row without the field: a null cell
  });

  it("never replaces a file unless told to, and leaves no half-written file when cancelled", async () => {
    const file = path.join(dir, "keep.csv");
    writeFileSync(file, "mine\n");
    await expect(runPostprocess(project, exportPostprocessor, { experiment: "results", config: { path: file } })).rejects.toMatchObject({
      code: "ERR_THEMIS_ALREADY_EXISTS",
    });
    const controller = new AbortController();
    controller.abort();
    await expect(
      runPostprocess(project, exportPostprocessor, { experiment: "results", config: { path: file, overwrite: true }, signal: controller.signal }),
    ).rejects.toMatchObject({ code: "ERR_THEMIS_ABORTED" });
    expect(readFileSync(file, "utf8")).toBe("mine\n");
    await expect(runPostprocess(project, exportPostprocessor, { experiment: "results", config: { path: path.join(dir, "out.xlsx") } })).rejects.toThrow(
      /cannot tell the format/,
    );
  });
});

describe("archive", () => {
  it("copies local/csv results to another backend, and a second run copies only what is missing", async () => {
    const config = { storage: "memory", config: { namespace: `arch-${path.basename(dir)}` }, project: "backup" };
    const first = await runPostprocess(project, archivePostprocessor, { experiment: "results", runId: "run-a", config });
    expect(first.data).toMatchObject({ copied: 15, skipped: 0 });
    const second = await runPostprocess(project, archivePostprocessor, { experiment: "results", config });
    expect(second.data).toMatchObject({ copied: 10, skipped: 15 });
    const target = await Project.open("backup", memoryBackend, { namespace: `arch-${path.basename(dir)}` });
    expect(await (await target.getExperiment("results")).load()).toEqual(await (await project.getExperiment("results")).load());
    await target.close();
  });

  it("copies nothing onto the experiment itself, and keeps the target's config out of messages", async () => {
    const same = { storage: "local/csv", config: { rootDir: path.join(dir, "data") } };
    expect((await runPostprocess(project, archivePostprocessor, { experiment: "results", config: same })).data).toMatchObject({ copied: 0, skipped: 25 });
    const error = await runPostprocess(project, archivePostprocessor, {
      experiment: "results",
      config: { storage: "s3://bucket/x", config: { secretAccessKey: "hunter2" } },
    }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).not.toContain("hunter2");
  });
});
