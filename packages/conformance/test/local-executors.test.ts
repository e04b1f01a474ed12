import { localBackend, sequentialBackend } from "@themis/core";
import { executionSuite } from "../src/index.js";

// The built-in executors: every behaviour of the execution suite must hold for both.
executionSuite({
  name: "local",
  create: () => localBackend.create(localBackend.configSchema.parse({ concurrency: 4, killGraceMs: 200 })),
  kinds: ["function", "module", "command"],
  capabilities: { hostProcesses: true, startupMs: 1500 },
});

executionSuite({
  name: "sequential",
  create: () => sequentialBackend.create(sequentialBackend.configSchema.parse({ killGraceMs: 200 })),
  kinds: ["function", "module", "command"],
  capabilities: { hostProcesses: true, startupMs: 1500 },
});
