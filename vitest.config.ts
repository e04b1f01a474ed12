import { defineConfig } from "vitest/config";
import { MAX_WORKERS } from "./vitest.shared.ts";
import { SlowFilesFirst } from "./vitest.slow-first.ts";

// One run over every package's own vitest project (packages/*/vitest.config.ts).
// The JSON report is what .ci/run counts ("N passed, N failed").
export default defineConfig({
  test: {
    projects: ["packages/*/vitest.config.ts", "examples/*/vitest.config.ts", "e2e*/vitest.config.ts"],
    // Test files at once: see vitest.shared.ts (every project sets the same number).
    maxWorkers: MAX_WORKERS,
    sequence: { sequencer: SlowFilesFirst },
    reporters: ["default", ["json", { outputFile: ".test-results/vitest.json" }]],
    // Coverage of every package's source: tests import src/ directly or dist/ (whose source maps
    // lead back to src/). Code run in child processes (CLI tests, workers, containers) is not counted.
    coverage: {
      provider: "v8",
      include: ["**/src/**/*.{ts,tsx}", "**/dist/**/*.js"],
      exclude: ["**/node_modules/**", "**/*.d.ts", "**/dist/ui/**", "**/test/**"],
      reporter: ["text-summary", ["json-summary", { file: "coverage-summary.json" }]],
      reportsDirectory: ".test-results/coverage",
    },
  },
});
