import { defineProject } from "vitest/config";
import { MAX_WORKERS, workspaceSourceAliases } from "../../vitest.shared.ts";

export default defineProject({
  // Workspace packages load from src/, not a possibly stale dist/ (see vitest.shared.ts).
  resolve: { alias: workspaceSourceAliases() },
  test: {
    name: "backend-local-csv",
    maxWorkers: MAX_WORKERS,
    include: ["test/**/*.test.ts"],
    exclude: ["dist/**", "node_modules/**"],
    // Real files and child processes: generous on a busy 2-core CI machine (no test asserts on time).
    testTimeout: 60_000,
  },
});
