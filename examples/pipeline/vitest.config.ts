import { fileURLToPath } from "node:url";
import { defineProject } from "vitest/config";
import { MAX_WORKERS, workspaceSourceAliases } from "../../vitest.shared.ts";

export default defineProject({
  // Workspace packages load from src/, not a possibly stale dist/ (see vitest.shared.ts).
  resolve: { alias: workspaceSourceAliases() },
  test: {
    name: "example-pipeline",
    maxWorkers: MAX_WORKERS,
    include: ["test/**/*.test.ts"],
    exclude: [".themis-pipeline/**", "node_modules/**"],
    // The mixed example's Docker engine and S3 server (absolute: the root config runs this project from the repository root).
    globalSetup: [fileURLToPath(new URL("./test/global-setup.ts", import.meta.url))],
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
