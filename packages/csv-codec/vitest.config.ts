import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "csv-codec",
    include: ["test/**/*.test.ts"],
    exclude: ["dist/**", "node_modules/**"],
    // Property tests run thousands of cases: give them room on a busy 2-core CI machine.
    testTimeout: 60_000,
  },
});
