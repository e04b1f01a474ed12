import { defineProject } from "vitest/config";

export default defineProject({
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
