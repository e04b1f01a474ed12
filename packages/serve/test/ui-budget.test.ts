import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { expect, it } from "vitest";
import { UI_DIR, listFiles } from "../src/ui-assets.js";

/** The budget for the whole UI (every built file, gzipped). */
const BUDGET_BYTES = 60 * 1024;
/** The same UI built for static exports (one classic script). */
const EXPORT_UI_DIR = fileURLToPath(new URL("../dist/ui-export/", import.meta.url));

const gzipped = async (files: string[]): Promise<number> => {
  let total = 0;
  for (const f of files) total += gzipSync(await readFile(f), { level: 9 }).length;
  return total;
};

it(`the built UI fits in ${BUDGET_BYTES / 1024} kB gzip`, async () => {
  const files = await listFiles(UI_DIR);
  const total = await gzipped(files);
  console.log(`UI: ${files.length} files, ${(total / 1024).toFixed(1)} kB gzip (budget ${BUDGET_BYTES / 1024} kB)`);
  expect(files.some((f) => path.extname(f) === ".mjs")).toBe(true);
  expect(total).toBeLessThanOrEqual(BUDGET_BYTES);
});

it(`the export's UI fits in ${BUDGET_BYTES / 1024} kB gzip too`, async () => {
  const files = await listFiles(EXPORT_UI_DIR);
  expect(files.map((f) => path.basename(f)).sort()).toEqual(["app.css", "app.mjs"]);
  const total = await gzipped(files);
  console.log(`export UI: ${(total / 1024).toFixed(1)} kB gzip`);
  expect(total).toBeLessThanOrEqual(BUDGET_BYTES);
});
