import { defineProject } from "vitest/config";
import { MAX_WORKERS, workspaceSourceAliases, TEST_TIMEOUT_MS } from "../../vitest.shared.ts";

export default defineProject({
  // Workspace packages load from src/, not a possibly stale dist/ (see vitest.shared.ts).
  resolve: { alias: workspaceSourceAliases() },
  test: {
    name: "core",
    maxWorkers: MAX_WORKERS,
    testTimeout: TEST_TIMEOUT_MS,
    include: ["test/**/*.test.ts"],
    exclude: ["dist/**", "node_modules/**", "test/fixtures/**"],
  },
});
