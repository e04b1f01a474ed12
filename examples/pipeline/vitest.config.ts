import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "example-pipeline",
    include: ["test/**/*.test.ts"],
    exclude: [".themis-pipeline/**", "node_modules/**"],
    testTimeout: 120_000,
  },
});
