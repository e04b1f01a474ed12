import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "backend-s3",
    include: ["test/**/*.test.ts"],
    exclude: ["dist/**", "node_modules/**"],
  },
});
