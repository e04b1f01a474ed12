import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "backend-redis",
    include: ["test/**/*.test.ts"],
    exclude: ["dist/**", "node_modules/**"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
