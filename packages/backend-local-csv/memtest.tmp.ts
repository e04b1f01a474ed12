import { Project } from "@themis/core";
import { localCsvBackend } from "./dist/index.js";
const rootDir = "/tmp/memtest";
const mode = process.argv[2];
if (mode === "fill") {
  const p = await Project.openOrCreate("m", localCsvBackend, { rootDir });
  const t = await p.createDataset("d");
  for (let i = 0; i < 1_000_000; i += 10_000) await t.appendMany(Array.from({ length: 10_000 }, (_, k) => ({ question: `What is ${i + k} + ${i + k}? Answer with a number, "quoted" if you like.`, answer: String(2 * (i + k)), score: 0.5, correct: true, tokens: 17, tags: ["arith", "even"], meta: { i: i + k, source: "bench", nested: { ok: true } }, note: `note ${i}`, model: "gpt-x", latency_ms: 12.5 })));
  await p.close();
} else {
  const p = await Project.open("m", localCsvBackend, { rootDir });
  const t = await p.getDataset("d");
  let n = 0; const samples: string[] = [];
  for await (const _ of t.entries()) {
    if (++n % 100_000 === 0) { const m = process.memoryUsage(); samples.push(`${n}: rss ${(m.rss/1e6).toFixed(0)} heap ${(m.heapUsed/1e6).toFixed(0)}/${(m.heapTotal/1e6).toFixed(0)} ext ${(m.external/1e6).toFixed(0)} ab ${(m.arrayBuffers/1e6).toFixed(0)}`); }
  }
  console.log(samples.join("\n")); console.log("maxRSS", (process.resourceUsage().maxRSS / 1024).toFixed(0), "MB");
  await p.close();
}
