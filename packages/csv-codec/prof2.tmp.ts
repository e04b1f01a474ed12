import { headerFor, parseCsv, serializeRows } from "./dist/index.js";
function makeRow(i: number) {
  return { _row_id: `id-${i}-${Math.random().toString(36).slice(2)}`,
    question: `What is ${i} + ${i}? Answer with a number, "quoted" if you like.`, answer: String(2 * i), score: (i % 100) / 100, correct: i % 3 !== 0, tokens: 17 + (i % 50),
    tags: ["arith", i % 2 === 0 ? "even" : "odd"], meta: { i, source: "bench", nested: { ok: true } }, note: i % 5 === 0 ? null : `note ${i}`, model: "gpt-x", latency_ms: 12.5 + (i % 7) };
}
const rows = Array.from({ length: 100000 }, (_, i) => makeRow(i));
const text = serializeRows(headerFor(rows), rows as any);
for (let k = 0; k < 3; k++) parseCsv(text, { source: "x" });
