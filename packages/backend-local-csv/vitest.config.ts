import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "backend-local-csv",
    include: ["test/**/*.test.ts"],
    exclude: ["dist/**", "node_modules/**"],
  },
});
