import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { expect, it } from "vitest";
import { UI_DIR } from "../src/ui-assets.js";

/** The budget for the whole UI (every built file, gzipped). */
const BUDGET_BYTES = 60 * 1024;

it(`the built UI fits in ${BUDGET_BYTES / 1024} kB gzip`, async () => {
  const files = (await readdir(UI_DIR, { recursive: true, withFileTypes: true })).filter((f) => f.isFile());
  let total = 0;
  for (const f of files) total += gzipSync(await readFile(path.join(f.parentPath, f.name)), { level: 9 }).length;
  console.log(`UI: ${files.length} files, ${(total / 1024).toFixed(1)} kB gzip (budget ${BUDGET_BYTES / 1024} kB)`);
  expect(files.some((f) => f.name.endsWith(".js"))).toBe(true);
  expect(total).toBeLessThanOrEqual(BUDGET_BYTES);
});
