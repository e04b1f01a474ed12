import type { StoredRow } from "@themis/core";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { definePipeline, runPipeline, stage, stageResults } from "../src/index.js";
import { indexTableName } from "../src/stage-index.js";
import { type QaRow, registry, tempProject } from "./helpers.js";

const N = 12;
let env: Awaited<ReturnType<typeof tempProject>>;
let calls: string[];

beforeEach(async () => {
  calls = [];
  env = await tempProject(N);
});
afterEach(() => env.cleanup());

/** gen -> answer; `upper` switches answer's code. */
function pipeline(upper = true) {
  const gen = stage({ dataset: "qa", execution: "local", task: (row: StoredRow<QaRow>) => ({ prompt: row.q }) });
  const answer = stage({
    from: gen,
    execution: "local",
    task: upper
      ? (p) => {
          calls.push(p.prompt);
          return { text: p.prompt.toUpperCase() };
        }
      : (p) => {
          calls.push(p.prompt);
          return { text: `${p.prompt}!` };
        },
  });
  return definePipeline({ name: "ix", stages: { gen, answer } });
}

const computed = (s: Awaited<ReturnType<typeof runPipeline>>) => Object.fromEntries(Object.entries(s.stages).map(([k, v]) => [k, v.counts.computed]));

/** The entries table of a stage's index, at generation `g`. */
const entries = (stage: string, g = 1) => env.project.internalTable("experiment", `${indexTableName(`ix-${stage}`)}.${g}`);
const meta = (stage: string) => env.project.internalTable("experiment", indexTableName(`ix-${stage}`));

/** The lines of a stage's packed index entries (`<result id> <dataset row id> <status> <key> <input hash> <task>`). */
async function indexLines(stage: string): Promise<string[]> {
  const rows = await (await entries(stage)).load();
  return rows.filter((r) => r._row_id.startsWith("e-")).flatMap((r) => String(r.e).split(";"));
}

/** Rewrite each packed row of a stage's index through `edit` (its lines in, its lines out). */
async function editIndex(stage: string, edit: (lines: string[]) => string[]): Promise<void> {
  const table = await entries(stage);
  for (const row of await table.load()) {
    if (!row._row_id.startsWith("e-")) continue;
    const lines = edit(String(row.e).split(";"));
    if (lines.length === 0) await table.delete(row._row_id);
    else await table.update(row._row_id, { ...row, e: lines.join(";") });
  }
}

/** Warnings emitted while `fn` runs (process warnings are emitted on the next tick). */
async function warningsDuring<T>(fn: () => Promise<T>): Promise<{ value: T; warnings: { code?: string; message: string }[] }> {
  const warnings: { code?: string; message: string }[] = [];
  const onWarning = (w: Error & { code?: string }): void => void warnings.push({ code: w.code, message: w.message });
  process.on("warning", onWarning);
  try {
    const value = await fn();
    await new Promise((resolve) => setImmediate(resolve));
    return { value, warnings };
  } finally {
    process.off("warning", onWarning);
  }
}

const rebuilt = (warnings: { code?: string; message: string }[]) => warnings.filter((w) => w.code === "THEMIS_PIPELINE_INDEX_REBUILT").map((w) => w.message);

describe("the stage index", () => {
  test("a cached run reads the index; a downstream row that runs reads its upstream's stored output", async () => {
    await runPipeline(env.project, pipeline(), { registry });
    // Packed: a few rows hold every entry.
    expect(await indexLines("gen")).toHaveLength(N);
    expect((await (await entries("gen")).load()).length).toBeLessThan(N);
    calls = [];
    const again = await runPipeline(env.project, pipeline(false), { registry });
    // gen is reused from its index (no outputs there); answer's new code needs them.
    expect(computed(again)).toEqual({ gen: 0, answer: N });
    const answers = await stageResults(env.project, pipeline(false), "answer");
    expect(answers.get("r3")?.output).toEqual({ text: "q3!" });
  });

  test("a result stored but not indexed (crash in between) is never a wrong cache hit: it is trusted as stored and indexed again", async () => {
    await runPipeline(env.project, pipeline(), { registry });
    const gen = await stageResults(env.project, pipeline(), "gen");
    const lost = new Set(["r0", "r1"].map((id) => gen.get(id)?._row_id));
    await editIndex("gen", (lines) => lines.filter((l) => !lost.has(l.split(" ")[0])));
    expect(await indexLines("gen")).toHaveLength(N - 2);
    const again = await runPipeline(env.project, pipeline(), { registry });
    expect(again.status).toBe("completed");
    // The two rows are not judged cached (the index does not know them): their claim finds
    // the stored result, which is kept (one per key) and indexed again.
    expect(again.stages.gen?.counts).toMatchObject({ cached: N - 2, computed: 0, elsewhere: 2 });
    expect(again.stages.answer?.counts).toMatchObject({ cached: N, computed: 0 });
    const rows = await (await env.project.getExperiment("ix-gen")).load();
    expect(rows).toHaveLength(N);
    const third = await runPipeline(env.project, pipeline(), { registry });
    expect(computed(third)).toEqual({ gen: 0, answer: 0 });
  });

  test("an index naming results its experiment no longer holds (deleted and made again) is not trusted", async () => {
    await runPipeline(env.project, pipeline(), { registry });
    await env.project.deleteExperiment("ix-answer");
    await env.project.createExperiment("ix-answer");
    calls = [];
    const again = await runPipeline(env.project, pipeline(), { registry });
    expect(computed(again)).toEqual({ gen: 0, answer: N });
    expect(calls).toHaveLength(N);
    expect((await stageResults(env.project, pipeline(), "answer")).size).toBe(N);
  });

  test("a downstream row that needs an output the index lists but the results lack fails clearly, and the index is rebuilt", async () => {
    await runPipeline(env.project, pipeline(), { registry });
    const gen = await stageResults(env.project, pipeline(), "gen");
    // Removed by hand (not the first row: the index's check does not see it).
    await (await env.project.getExperiment("ix-gen")).delete(gen.get("r5")?._row_id ?? "");
    await expect(runPipeline(env.project, pipeline(false), { registry })).rejects.toMatchObject({
      code: "ERR_THEMIS_NOT_FOUND",
      message: expect.stringContaining('row "r5"'),
    });
    calls = [];
    const again = await runPipeline(env.project, pipeline(false), { registry });
    expect(again.stages.gen?.counts).toMatchObject({ computed: 1, cached: N - 1 });
    expect((await stageResults(env.project, pipeline(false), "answer")).get("r5")?.output).toEqual({ text: "q5!" });
  });

  test("an index written before entries were packed (one row per entry) is read as it is, and appended to packed", async () => {
    await runPipeline(env.project, pipeline(), { registry });
    const table = await entries("gen");
    for (const row of await table.load()) {
      if (!row._row_id.startsWith("e-")) continue;
      await table.delete(row._row_id);
      for (const line of String(row.e).split(";")) {
        const [id = "", d = "", s = "", k = "", i = "", t = ""] = line.split(" ");
        await table.append({ _row_id: id, d, s, k, i, t });
      }
    }
    expect(await indexLines("gen")).toEqual([]);
    const qa = await env.project.getDataset("qa");
    await qa.update("r2", { q: "changed", a: "x" });
    calls = [];
    const { value, warnings } = await warningsDuring(() => runPipeline(env.project, pipeline(), { registry }));
    expect(rebuilt(warnings)).toEqual([]);
    expect(value.stages.gen?.counts).toMatchObject({ cached: N - 1, computed: 1 });
    expect(calls).toEqual(["changed"]);
    // The new result is appended packed beside the old rows, and read with them.
    expect(await indexLines("gen")).toHaveLength(1);
    const next = await runPipeline(env.project, pipeline(), { registry });
    expect(computed(next)).toEqual({ gen: 0, answer: 0 });
  });

  test.each([
    ["missing", async () => (await meta("gen")).delete("meta")],
    ["corrupt (meta row)", async () => (await meta("gen")).update("meta", { _row_id: "meta", g: "one", first: null })],
    ["corrupt (entry)", async () => editIndex("gen", (lines) => lines.map((l, i) => (i === 3 ? l.replace(/ ok /, " maybe ") : l)))],
    ["corrupt (entry fields)", async () => editIndex("gen", (lines) => lines.map((l, i) => (i === 3 ? l.split(" ").slice(0, 5).join(" ") : l)))],
  ])("an index %s is rebuilt from the results, with a warning, and nothing runs again", async (_name, damage) => {
    await runPipeline(env.project, pipeline(), { registry });
    await damage();
    calls = [];
    const { value, warnings } = await warningsDuring(() => runPipeline(env.project, pipeline(), { registry }));
    expect(computed(value)).toEqual({ gen: 0, answer: 0 });
    expect(calls).toEqual([]);
    expect(rebuilt(warnings)).toEqual([expect.stringContaining('"ix-gen" is')]);
    // Rebuilt: the next run reads it without a warning.
    const next = await warningsDuring(() => runPipeline(env.project, pipeline(), { registry }));
    expect(rebuilt(next.warnings)).toEqual([]);
    expect(computed(next.value)).toEqual({ gen: 0, answer: 0 });
  });
});
