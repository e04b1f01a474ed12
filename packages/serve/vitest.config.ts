import { fileURLToPath } from "node:url";
import { defineProject } from "vitest/config";
import { MAX_WORKERS, workspaceSourceAliases } from "../../vitest.shared.ts";

export default defineProject({
  // Workspace packages load from src/, not a possibly stale dist/ (see vitest.shared.ts).
  resolve: { alias: workspaceSourceAliases() },
  test: {
    name: "serve",
    maxWorkers: MAX_WORKERS,
    include: ["test/**/*.test.ts"],
    exclude: ["dist/**", "node_modules/**"],
    // The S3 server of the s3 project test: the s3 backend's own global setup (one server
    // for both projects in a full run).
    globalSetup: [fileURLToPath(new URL("../backend-s3/test/global-setup.ts", import.meta.url))],
    // Real servers, a real Chromium and 100k-row tables on a busy 2-core CI machine:
    // generous limits (no test asserts on time).
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
