import Papa from "papaparse";
import { headerFor, parseCsv, serializeRows } from "./dist/index.js";
function makeRow(i: number) {
  return { _row_id: `id-${i}-${Math.random().toString(36).slice(2)}`,
    question: `What is ${i} + ${i}? Answer with a number, "quoted" if you like.`, answer: String(2 * i), score: (i % 100) / 100, correct: i % 3 !== 0, tokens: 17 + (i % 50),
    tags: ["arith", i % 2 === 0 ? "even" : "odd"], meta: { i, source: "bench", nested: { ok: true } }, note: i % 5 === 0 ? null : `note ${i}`, model: "gpt-x", latency_ms: 12.5 + (i % 7) };
}
const rows = Array.from({ length: 100000 }, (_, i) => makeRow(i));
let t = performance.now();
const text = serializeRows(headerFor(rows), rows as any);
console.log("serialize", (performance.now() - t).toFixed(0), "ms", (text.length / 1e6).toFixed(1), "MB");
for (let k = 0; k < 3; k++) {
  t = performance.now(); const a = parseCsv(text, { source: "x" }); const ours = performance.now() - t;
  t = performance.now(); const b = Papa.parse(text, { header: true, skipEmptyLines: true }); const raw = performance.now() - t;
  t = performance.now(); const c = Papa.parse(text, { delimiter: ",", newline: "\n" }); const rawArr = performance.now() - t;
  console.log(`ours ${ours.toFixed(0)} ms, raw header ${raw.toFixed(0)} ms, raw arrays ${rawArr.toFixed(0)} ms; ratio ${(raw / ours).toFixed(2)}`, a.rows.length, b.data.length, c.data.length);
}
