import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "pipeline",
    include: ["test/**/*.test.ts"],
    exclude: ["dist/**", "node_modules/**"],
    // Real files and child processes: generous on a busy 2-core CI machine (no test asserts on time).
    testTimeout: 60_000,
  },
});
