import { defineProject } from "vitest/config";
import { MAX_WORKERS } from "../vitest.shared.ts";

// The "e2e" project of the root vitest config. The global setup builds what is stale and
// packs every package once; the test files share the tarballs.
export default defineProject({
  test: {
    name: "e2e",
    maxWorkers: MAX_WORKERS,
    include: ["test/**/*.test.ts"],
    exclude: ["node_modules/**"],
    globalSetup: ["./global-setup.ts"],
    // npm installs and attw runs take seconds each: generous limits, never assertions on time.
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
