import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "postprocess",
    include: ["test/**/*.test.ts"],
    exclude: ["dist/**", "node_modules/**"],
    testTimeout: 60_000,
  },
});
