import { defineProject } from "vitest/config";
import { MAX_WORKERS, workspaceSourceAliases } from "../../vitest.shared.ts";

export default defineProject({
  // Workspace packages load from src/, not a possibly stale dist/ (see vitest.shared.ts).
  resolve: { alias: workspaceSourceAliases() },
  test: {
    name: "backend-docker",
    maxWorkers: MAX_WORKERS,
    include: ["test/**/*.test.ts"],
    exclude: ["dist/**", "node_modules/**"],
    // Starts a private dockerd (or uses DOCKER_HOST) and builds the test images once.
    globalSetup: ["test/global-setup.ts"],
    // Containers take a few hundred ms each to start on a busy 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
