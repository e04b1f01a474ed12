import { Project } from "@themis/core";
import { localCsvBackend } from "./dist/index.js";
import { mkdtempSync } from "node:fs";
function makeRow(i: number) {
  return { question: `What is ${i} + ${i}? Answer with a number, "quoted" if you like.`, answer: String(2 * i), score: (i % 100) / 100, correct: i % 3 !== 0, tokens: 17 + (i % 50),
    tags: ["arith", i % 2 === 0 ? "even" : "odd"], meta: { i, source: "bench", nested: { ok: true } }, note: i % 5 === 0 ? null : `note ${i}`, model: "gpt-x", latency_ms: 12.5 + (i % 7) };
}
const rootDir = mkdtempSync("/tmp/prof-");
const p = await Project.create("x", localCsvBackend, { rootDir });
const t = await p.createDataset("d");
const input = Array.from({ length: 100000 }, (_, i) => makeRow(i));
const c0 = process.cpuUsage();
for (let i = 0; i < input.length; i += 1000) await t.appendMany(input.slice(i, i + 1000));
const c = process.cpuUsage(c0);
console.log("cpu ms", (c.user + c.system) / 1000);
const c1 = process.cpuUsage();
const rows = await t.load();
const c2 = process.cpuUsage(c1);
console.log("load cpu ms", (c2.user + c2.system) / 1000, rows.length);
await p.close();
