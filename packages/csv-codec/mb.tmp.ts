import Papa from "papaparse";
import { headerFor, serializeRows, RecordDecoder } from "./dist/index.js";
function makeRow(i: number) {
  return { _row_id: `${crypto.randomUUID()}`, question: `What is ${i} + ${i}? Answer with a number, "quoted" if you like.`, answer: String(2 * i), score: (i % 100) / 100, correct: i % 3 !== 0, tokens: 17 + (i % 50),
    tags: ["arith", i % 2 === 0 ? "even" : "odd"], meta: { i, source: "bench", nested: { ok: true } }, note: i % 5 === 0 ? null : `note ${i}`, model: "gpt-x", latency_ms: 12.5 + (i % 7) };
}
const rows = Array.from({ length: 100000 }, (_, i) => makeRow(i));
const text = serializeRows(headerFor(rows), rows as any);
const records = Papa.parse<string[]>(text, { delimiter: ",", newline: "\n" }).data.slice(0, -1);
const cpu = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };
for (let k = 0; k < 4; k++) {
  for (const dup of [true, false]) {
    const d = new RecordDecoder({ source: "x", detectDuplicateIds: dup });
    const t = cpu();
    for (const r of records) d.push(r);
    console.log(`push dup=${dup}: ${(cpu() - t).toFixed(0)} ms`);
  }
}
let t = cpu(); Papa.parse<string[]>(text, { delimiter: ",", newline: "\n" }); console.log("papa arrays", (cpu() - t).toFixed(0));
t = cpu(); Papa.parse(text, { header: true }); console.log("papa header", (cpu() - t).toFixed(0));
