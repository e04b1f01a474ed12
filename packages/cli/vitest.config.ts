import { defineProject } from "vitest/config";
import { MAX_WORKERS, workspaceSourceAliases } from "../../vitest.shared.ts";

export default defineProject({
  // Workspace packages load from src/, not a possibly stale dist/ (see vitest.shared.ts).
  resolve: { alias: workspaceSourceAliases() },
  test: {
    name: "cli",
    maxWorkers: MAX_WORKERS,
    include: ["test/**/*.test.ts"],
    exclude: ["dist/**", "node_modules/**"],
    // Tests run the built CLI as a subprocess (~0.3 s each when idle); a busy 2-core CI
    // machine can make one take seconds. Generous limits keep them from flaking.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
