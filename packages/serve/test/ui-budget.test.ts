import { readFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { expect, it } from "vitest";
import { UI_DIR, listFiles } from "../src/ui-assets.js";

/** The budget for the whole UI (every built file, gzipped). */
const BUDGET_BYTES = 60 * 1024;

it(`the built UI fits in ${BUDGET_BYTES / 1024} kB gzip`, async () => {
  const files = await listFiles(UI_DIR);
  let total = 0;
  for (const f of files) total += gzipSync(await readFile(f), { level: 9 }).length;
  console.log(`UI: ${files.length} files, ${(total / 1024).toFixed(1)} kB gzip (budget ${BUDGET_BYTES / 1024} kB)`);
  expect(files.some((f) => path.extname(f) === ".mjs")).toBe(true);
  expect(total).toBeLessThanOrEqual(BUDGET_BYTES);
});
