import { defineProject } from "vitest/config";

export default defineProject({
  test: {
    name: "csv-codec",
    include: ["test/**/*.test.ts"],
    exclude: ["dist/**", "node_modules/**"],
  },
});
