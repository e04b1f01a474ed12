import { fileURLToPath } from "node:url";
import { defineProject } from "vitest/config";
import { MAX_WORKERS, workspaceSourceAliases } from "../../vitest.shared.ts";

export default defineProject({
  // Workspace packages load from src/, not a possibly stale dist/ (see vitest.shared.ts).
  resolve: { alias: workspaceSourceAliases() },
  test: {
    name: "backend-bullmq",
    maxWorkers: MAX_WORKERS,
    include: ["test/**/*.test.ts"],
    exclude: ["dist/**", "node_modules/**"],
    // Absolute: the root config runs this project from the repository root.
    globalSetup: [fileURLToPath(new URL("./test/global-setup.ts", import.meta.url))],
    // Worker processes and a real redis-server per file: generous on a busy 2-core box.
    testTimeout: 90_000,
    hookTimeout: 90_000,
  },
});
