import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  BACKEND_BRAND,
  type JsonValue,
  type PostprocessReport,
  type PostprocessorDefinition,
  Project,
  type Row,
  type StoredRow,
  SUPPORTED_CONTRACT_VERSIONS,
  memoryBackend,
  parseBackendConfig,
  runPostprocess,
} from "@themis/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

/** What a test of {@link postprocessSuite} gives the options' callbacks. */
export interface PostprocessSuiteContext {
  /** A fresh empty folder for this test (removed after it). */
  readonly dir: string;
  /** A fresh project (memory storage) holding the experiment the postprocessor runs on. */
  readonly project: Project;
}

/** Options of {@link postprocessSuite}. */
export interface PostprocessSuiteOptions {
  /** The definition under test (what the package's entry exports). */
  definition: PostprocessorDefinition;
  /** A valid config for one test; files it writes go under `ctx.dir`. Must allow running twice (e.g. overwrite). */
  config: (ctx: PostprocessSuiteContext) => Record<string, unknown>;
  /** A config the schema must reject. */
  invalidConfig: Record<string, unknown>;
  /** Extra checks of a report on the suite's sample rows (files written, values computed). */
  verify?: (report: PostprocessReport, rows: readonly StoredRow[], ctx: PostprocessSuiteContext) => void | Promise<void>;
  /** Skip the suite, saying why (a service the postprocessor needs is missing). */
  skip?: string;
}

/** Result rows as experiments hold them: ok and error rows, nested values, unicode, missing keys. */
export function samplePostprocessRows(): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < 25; i++) {
    const ok = i % 5 !== 4;
    rows.push({
      _row_id: `r${i}`,
      dataset_row_id: `d${i}`,
      status: ok ? "ok" : "error",
      output: ok ? { answer: `é ${i}, "quoted"\n`, score: i / 10, correct: i % 2 === 0, tags: ["a", i] } : null,
      error: ok ? null : { code: "ERR_X", message: "boom" },
      run_id: i < 15 ? "run-a" : "run-b",
      ...(i % 3 === 0 ? { scores: { f1: i / 25, exact: i % 2 === 0 } } : {}),
    });
  }
  return rows;
}

const json = (v: unknown): JsonValue => JSON.parse(JSON.stringify(v)) as JsonValue;

/**
 * The behaviour every postprocessor must show: a well-formed definition, a config schema
 * that rejects bad input before anything runs, a JSON report that counts the rows it read
 * (a whole experiment, one run, an empty one), results left unchanged, running twice,
 * and a cancelled run that rejects.
 *
 * ```ts
 * import { postprocessSuite } from "@themis/conformance";
 * postprocessSuite({ definition: myStep, config: ({ dir }) => ({ path: `${dir}/out.csv`, overwrite: true }), invalidConfig: { path: 3 } });
 * ```
 */
export function postprocessSuite(options: PostprocessSuiteOptions): void {
  const { definition } = options;
  const describeSuite = options.skip ? describe.skip : describe;
  describeSuite(`postprocess conformance: ${definition.name}${options.skip ? ` (skipped: ${options.skip})` : ""}`, () => {
    let ctx: PostprocessSuiteContext;
    let rows: StoredRow[];
    beforeEach(async () => {
      const dir = mkdtempSync(path.join(tmpdir(), "themis-postprocess-"));
      const project = await Project.create("pp", memoryBackend, { namespace: `pp-${path.basename(dir)}` });
      const table = await project.createExperiment("results");
      await table.appendMany(samplePostprocessRows());
      rows = await table.load();
      await project.createExperiment("empty");
      ctx = { dir, project };
    });
    afterEach(async () => {
      await ctx.project.close();
      await rm(ctx.dir, { recursive: true, force: true });
    });
    const run = (extra: { experiment?: string; runId?: string; signal?: AbortSignal } = {}) =>
      runPostprocess(ctx.project, definition, { experiment: "results", config: options.config(ctx), ...extra });

    it("is a postprocess definition this core can use", () => {
      expect(definition.brand).toBe(BACKEND_BRAND);
      expect(definition.kind).toBe("postprocess");
      expect(SUPPORTED_CONTRACT_VERSIONS).toContain(definition.contractVersion);
      expect(definition.name).toMatch(/^[a-z0-9][a-z0-9/_.-]*$/);
    });

    it("rejects an invalid config with ERR_THEMIS_INVALID_CONFIG before running", async () => {
      expect(() => parseBackendConfig(definition, options.invalidConfig)).toThrow(expect.objectContaining({ code: "ERR_THEMIS_INVALID_CONFIG" }));
      await expect(runPostprocess(ctx.project, definition, { experiment: "results", config: options.invalidConfig })).rejects.toMatchObject({
        code: "ERR_THEMIS_INVALID_CONFIG",
      });
    });

    it("reports, as JSON, the rows it read, and leaves the results unchanged", async () => {
      const report = await run();
      expect(report.postprocessor).toBe(definition.name);
      expect(report.rows).toBe(rows.length);
      expect(typeof report.message).toBe("string");
      expect(report.message.length).toBeGreaterThan(0);
      expect(report.artifacts.every((a) => typeof a === "string")).toBe(true);
      expect(json(report)).toEqual(report);
      expect(await (await ctx.project.getExperiment("results")).load()).toEqual(rows);
      await options.verify?.(report, rows, ctx);
    });

    it("reads one run's rows when given a run id, and none of an empty experiment", async () => {
      expect((await run({ runId: "run-b" })).rows).toBe(rows.filter((r) => r.run_id === "run-b").length);
      expect((await run({ experiment: "empty" })).rows).toBe(0);
    });

    it("runs again on the same config", async () => {
      await run();
      expect((await run()).rows).toBe(rows.length);
    });

    it("rejects when cancelled", async () => {
      const controller = new AbortController();
      controller.abort(new Error("stop"));
      await expect(run({ signal: controller.signal })).rejects.toBeInstanceOf(Error);
    });
  });
}
