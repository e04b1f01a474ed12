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
    // Its fault injection and request log are the server's, shared by every file (a file's
    // clearFaults() would lift another's faults mid-test): this project's files run one at a
    // time, after the rest of the suite (~25 s).
    fileParallelism: false,
    // A guard against hangs on a loaded machine, not a speed check.
    testTimeout: 60_000,
  },
});
