import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "backend-box",
    include: ["test/**/*.test.ts"],
    exclude: ["dist/**", "node_modules/**"],
    // Starts the stand-in Box API server (test/box-server) once for every test file.
    globalSetup: ["test/global-setup.ts"],
    // A guard against hangs on a loaded machine, not a speed check.
    testTimeout: 60_000,
  },
});
