import { defineConfig } from "vitest/config";

// One run over every package's own vitest project (packages/*/vitest.config.ts).
// The JSON report is what .ci/run counts ("N passed, N failed").
export default defineConfig({
  test: {
    projects: ["packages/*/vitest.config.ts", "examples/*/vitest.config.ts", "e2e*/vitest.config.ts"],
    reporters: ["default", ["json", { outputFile: ".test-results/vitest.json" }]],
  },
});
