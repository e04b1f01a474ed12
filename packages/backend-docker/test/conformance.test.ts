// The execution conformance suite (command and module jobs) against a real engine, in the
// Node test image (Debian minbase + node).
import { randomUUID } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { executionSuite } from "@themis/conformance";
import { afterAll } from "vitest";
import type { DockerExecutor } from "../src/index.ts";
import { dockerTestEnv } from "./env.ts";
import { containersOf, createDockerExecutor } from "./helpers.ts";

const env = dockerTestEnv();
const created: DockerExecutor[] = [];
// Put into the executor's config: describe() must not echo the config back.
const canary = `canary-${randomUUID()}`;

// The fixture module is mounted into containers whose user is nobody (the default): its
// folder must be readable by others, which a fresh mkdtemp folder (0700) is not.
const fixtureDir = mkdtempSync(path.join(tmpdir(), "themis-docker-conformance-"));
chmodSync(fixtureDir, 0o755);
afterAll(() => rmSync(fixtureDir, { recursive: true, force: true }));

executionSuite({
  name: "docker",
  kinds: ["module", "command"],
  fixtureDir,
  skip: env ? false : "no Docker engine (see the warning above)",
  create: async () => {
    const executor = await createDockerExecutor(env!, { image: env!.images.node, concurrency: 2, killGraceMs: 300, labels: { "test.canary": canary } });
    created.push(executor);
    return executor;
  },
  // Containers of the suite's executor that still exist once the job's outcome is out.
  leftovers: async () => {
    let count = 0;
    for (const executor of created) count += (await containersOf(env!, executor.id)).length;
    return count;
  },
  capabilities: {
    // Each job is a new container: ~0.3-1 s to start on a busy 2-core machine, over 3 s at a
    // load average of 12 (a 150 ms job then outran a 3.4 s per-job timeout).
    startupMs: 5000,
    commandCwd: "/tmp",
    describes: true,
  },
  secrets: [canary],
  timeout: 90_000,
});
