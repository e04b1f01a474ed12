// A worker whose copy of a module differs from the submitter's refuses the job instead of
// running other code: the file changes between queueing and running.
import { writeFileSync } from "node:fs";
import { type MapOutcome, type Task, map, moduleCodeHash } from "@themis/core";
import { afterAll, describe, expect, it } from "vitest";
import { collect, waitFor } from "./support/collect.ts";
import { createExecutor, redisAvailable, testConfig } from "./support/env.ts";
import { FIXTURE_SOURCE, writeFixture } from "./support/fixture.ts";
import { type WorkerProcess, startWorkers, stopWorkers } from "./support/workers.ts";

describe.skipIf(!redisAvailable)("bullmq: module code hash", () => {
  const fixture = writeFixture();
  let workers: WorkerProcess[] = [];
  afterAll(async () => {
    await stopWorkers(workers);
    fixture.remove();
  });

  it("moduleCodeHash is the sha256 of the file's code and follows its changes", () => {
    const before = moduleCodeHash(fixture.file);
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    expect(moduleCodeHash("./fixture.mjs", fixture.dir)).toBe(before);
    writeFileSync(fixture.file, `${FIXTURE_SOURCE}\n// changed\n`);
    expect(moduleCodeHash(fixture.file)).not.toBe(before);
    writeFileSync(fixture.file, FIXTURE_SOURCE);
  });

  it("a worker whose module differs refuses the job with ERR_THEMIS_CODE_MISMATCH and does not run it", async () => {
    const config = testConfig("code-hash");
    const executor = await createExecutor(config);
    try {
      const task: Task = { kind: "module", module: fixture.file, export: "version" };
      // No worker yet: the job is queued with the hash of v1, then the code becomes v2.
      const pending: MapOutcome[] = [];
      const done = (async () => {
        for await (const o of map(task, [null], { executor })) pending.push(o);
      })();
      await waitFor(async () => (await executor.queueCounts()).waiting === 1);
      writeFileSync(fixture.file, FIXTURE_SOURCE.replace('return "v1"', 'return "v2"'));
      workers = await startWorkers(config, 2, { concurrency: 1 });
      await done;
      expect(pending).toHaveLength(1);
      expect(pending[0]!.ok).toBe(false);
      if (!pending[0]!.ok) {
        expect(pending[0]!.error.code).toBe("ERR_THEMIS_CODE_MISMATCH");
        expect(pending[0]!.error.message).toContain("differs on this worker");
      }
      // With the submitter's view of the file matching again, the same job runs v2.
      const [again] = await collect(map(task, [null], { executor }));
      expect(again!.ok && again!.value).toBe("v2");
    } finally {
      await executor.close();
    }
  });
});
