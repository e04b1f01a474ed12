import { defineProject } from "vitest/config";
import { MAX_WORKERS, workspaceSourceAliases } from "../../vitest.shared.ts";

export default defineProject({
  // Workspace packages load from src/, not a possibly stale dist/ (see vitest.shared.ts).
  resolve: { alias: workspaceSourceAliases() },
  test: {
    name: "backend-box",
    maxWorkers: MAX_WORKERS,
    include: ["test/**/*.test.ts"],
    exclude: ["dist/**", "node_modules/**"],
    // Starts the stand-in Box API server (test/box-server) once for every test file.
    globalSetup: ["test/global-setup.ts"],
    // A guard against hangs on a loaded machine, not a speed check.
    testTimeout: 60_000,
  },
});
