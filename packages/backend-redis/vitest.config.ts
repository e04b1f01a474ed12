import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "backend-redis",
    include: ["test/**/*.test.ts"],
    exclude: ["dist/**", "node_modules/**"],
  },
});
