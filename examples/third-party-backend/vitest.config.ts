import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "third-party-backend",
    include: ["test/**/*.test.ts"],
    exclude: ["dist/**", "node_modules/**"],
  },
});
