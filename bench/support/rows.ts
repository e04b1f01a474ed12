// The rows every benchmark writes, so figures of different backends compare like with like.
import type { Row } from "@themis/core";

/** A row of 10 mixed-type columns (strings with quotes, numbers, booleans, null, arrays, objects). */
export function mixedRow(i: number): Row {
  return {
    question: `What is ${i} + ${i}? Answer with a number, "quoted" if you like.`,
    answer: String(2 * i),
    score: (i % 100) / 100,
    correct: i % 3 !== 0,
    tokens: 17 + (i % 50),
    tags: ["arith", i % 2 === 0 ? "even" : "odd"],
    meta: { i, source: "bench", nested: { ok: true } },
    note: i % 5 === 0 ? null : `note ${i}`,
    model: "gpt-x",
    latency_ms: 12.5 + (i % 7),
  };
}

/** `n` mixed rows numbered from `from`. */
export const mixedRows = (n: number, from = 0): Row[] => Array.from({ length: n }, (_, i) => mixedRow(from + i));

/** A shorter row of 5 columns (a question, its answer, a score, tags, metadata). */
export function shortRow(i: number): Row {
  return {
    question: `What is ${i} + ${i}?`,
    answer: String(2 * i),
    score: (i % 100) / 100,
    tags: ["arith", i % 2 === 0 ? "even" : "odd"],
    meta: { i, source: "bench", nested: { ok: true } },
  };
}

/** `n` short rows numbered from `from`. */
export const shortRows = (n: number, from = 0): Row[] => Array.from({ length: n }, (_, i) => shortRow(from + i));
