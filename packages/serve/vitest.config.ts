import { defineProject } from "vitest/config";
import { workspaceSourceAliases } from "../../vitest.shared.ts";

export default defineProject({
  // Workspace packages load from src/, not a possibly stale dist/ (see vitest.shared.ts).
  resolve: { alias: workspaceSourceAliases() },
  test: {
    name: "serve",
    include: ["test/**/*.test.ts"],
    exclude: ["dist/**", "node_modules/**"],
    // Real servers, a real Chromium and 100k-row tables on a busy 2-core CI machine:
    // generous limits (no test asserts on time).
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
