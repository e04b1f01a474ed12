import type { StoredRow } from "@themis/core";
import { describe, expectTypeOf, test } from "vitest";
import { type OutputOf, definePipeline, moduleTask, stage } from "../src/index.js";
import type { QaRow } from "./helpers.js";

// Checked by `pnpm typecheck` (tsc -p tsconfig.json): every `@ts-expect-error` below must
// really be an error, or tsc fails.
describe("typed end to end", () => {
  test("a stage's input is its upstream's output", () => {
    const gen = stage({ dataset: "qa", task: (row: StoredRow<QaRow>) => ({ prompt: row.q, id: row._row_id }) });
    expectTypeOf<OutputOf<typeof gen>>().toEqualTypeOf<{ prompt: string; id: string }>();
    const answer = stage({
      from: gen,
      task: async (p) => {
        expectTypeOf(p).toEqualTypeOf<{ prompt: string; id: string }>();
        return { text: p.prompt, tokens: 3 };
      },
    });
    expectTypeOf<OutputOf<typeof answer>>().toEqualTypeOf<{ text: string; tokens: number }>();
    const score = stage({
      from: { answer, gen },
      task: (x) => {
        expectTypeOf(x).toEqualTypeOf<{ answer: { text: string; tokens: number }; gen: { prompt: string; id: string } }>();
        return x.answer.text === x.gen.prompt;
      },
    });
    expectTypeOf<OutputOf<typeof score>>().toEqualTypeOf<boolean>();
    definePipeline({ stages: { gen, answer, score } });
  });

  test("a task that does not accept its upstream's output is a compile error", () => {
    const gen = stage({ dataset: "qa", task: (row: StoredRow<QaRow>) => ({ prompt: row.q }) });
    // @ts-expect-error: gen returns { prompt: string }, not { text: string }
    stage({ from: gen, task: (x: { text: string }) => x.text });
    stage({
      from: gen,
      // @ts-expect-error: `prompt` is a string, it has no `toFixed`
      task: (x) => x.prompt.toFixed(2),
    });
    const lengths = stage({ from: gen, task: (x) => x.prompt.length });
    // @ts-expect-error: lengths returns a number, not an object with `prompt`
    stage({ from: { lengths }, task: (x: { lengths: { prompt: string } }) => x });
  });

  test("a stage reads a dataset or upstreams, not both", () => {
    const gen = stage({ dataset: "qa", task: (row: StoredRow<QaRow>) => row.n });
    // @ts-expect-error: `dataset` and `from` exclude each other
    stage({ dataset: "qa", from: gen, task: (x: number) => x });
  });

  test("module tasks declare what they return", () => {
    const scored = stage({ dataset: "qa", task: moduleTask<{ score: number }>({ module: "./score.ts" }) });
    const next = stage({ from: scored, task: (x) => x.score > 0.5 });
    expectTypeOf<OutputOf<typeof next>>().toEqualTypeOf<boolean>();
  });
});
