// What every test file needs: the shared server (or a loud skip), a queue of its own, and
// helpers to build executors and raw clients on it.
import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import { Redis } from "ioredis";
import { requireService } from "@themis/conformance";
import { parseBackendConfig } from "@themis/core";
import { type BullmqConfigInput, type BullmqExecutor, bullmqBackend } from "../../src/index.ts";

export const redisUrl = inject("bullmqRedisUrl");
if (redisUrl === undefined) throw new Error("test/global-setup.ts did not run: run the tests through vitest with this package's config");
/** True when a server is there; false (after a loud warning) when tests must skip. Throws in CI. */
export const redisAvailable = requireService("redis", redisUrl !== "", inject("bullmqRedisMissing"));

/**
 * Config for one test: its own queue on the shared server, and short lock/stalled/poll
 * intervals so a killed worker's job comes back in seconds, not the default 30 s.
 */
export function testConfig(label: string, extra: BullmqConfigInput = {}): BullmqConfigInput {
  return {
    url: redisUrl,
    queue: `${label}-${randomBytes(4).toString("hex")}`,
    // Renewed every half of it: generous enough that a starved event loop on a loaded CI
    // box does not look like a dead worker.
    lockDurationMs: 5000,
    stalledIntervalMs: 1000,
    pollIntervalMs: 500,
    cancelGraceMs: 5000,
    ...extra,
  };
}

/** A submitter, validated through the schema as the registry would. */
export async function createExecutor(config: BullmqConfigInput): Promise<BullmqExecutor> {
  return (await bullmqBackend.create(parseBackendConfig(bullmqBackend, config))) as BullmqExecutor;
}

/** A plain client on the shared server, for probes. */
export function rawClient(url = redisUrl): Redis {
  return new Redis(url, { maxRetriesPerRequest: 2 });
}
