// The storage deadline of a run: what counts as "storage unreachable". A result write that is
// merely slow (a huge batch, a slow disk) while heartbeats get through the same storage is not
// unreachable storage; a result write that hangs while beats fail is.
import { setTimeout as delay } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { Project, type RunEvent, type StorageBackend, getRun } from "../dist/index.js";
import { RUNS_TABLE } from "../dist/experiment/run-record.js";
import { wrappedStorage } from "./wrapped-storage.js";

const HEARTBEAT_MS = 100;
const DEADLINE_MS = 1000;

interface Beats {
  /** Set: run-record updates (the heartbeat) fail. */
  fail: boolean;
  acked: number;
  /** Beats acknowledged while a result write was under way. */
  ackedWhileWriting: number;
}

/**
 * A memory backend whose result appends (table "e") take `slowMs` each, while the run
 * records (`__runs`) answer at once, or fail once `beats.fail` is set: one storage, two speeds.
 */
function slowResultsStorage(slowMs: number, beats: Beats): StorageBackend {
  return wrappedStorage("slow-results", (table, t) => ({
    load: () => t.load(),
    entries: () => t.entries(),
    get: (id) => t.get(id),
    append: async (rows) => {
      if (table === "e") {
        const before = beats.acked;
        await delay(slowMs);
        beats.ackedWhileWriting += beats.acked - before;
      }
      return t.append(rows);
    },
    update: async (row) => {
      if (table !== RUNS_TABLE) return t.update(row);
      if (beats.fail) throw new Error("runs table down");
      await t.update(row);
      beats.acked++;
    },
    delete: (id) => t.delete(id),
  }));
}

async function projectOn(storage: StorageBackend): Promise<Project> {
  const project = await Project.create("p", storage);
  await (await project.createDataset("qa")).appendMany(Array.from({ length: 3 }, (_, n) => ({ n })));
  return project;
}

describe("run heartbeat: storage deadline", () => {
  it("a result write slower than the deadline while beats get through: the run completes (slow write still reported)", async () => {
    const beats: Beats = { fail: false, acked: 0, ackedWhileWriting: 0 };
    const project = await projectOn(slowResultsStorage(3 * DEADLINE_MS, beats));
    const events: RunEvent[] = [];
    try {
      const summary = await project.runExperiment({
        dataset: "qa",
        experiment: "e",
        task: async (row: { n: number }) => row.n,
        heartbeatMs: HEARTBEAT_MS,
        storageDeadlineMs: DEADLINE_MS,
        onEvent: (e) => events.push(e),
      });
      expect(summary).toMatchObject({ status: "completed", succeeded: 3 });
      expect(await getRun(project, summary.runId)).toMatchObject({ status: "completed", reason: null });
      // The storage was reachable meanwhile: beats were acknowledged during the slow write.
      expect(beats.ackedWhileWriting).toBeGreaterThan(2);
      expect(events).toContainEqual(
        expect.objectContaining({ type: "storage-error", message: expect.stringMatching(/has not answered for \d+ s; still trying/) }),
      );
    } finally {
      await project.close();
    }
  }, 30_000);

  it("a result write hanging while beats fail: the run still stops with UNAVAILABLE at the deadline", async () => {
    const beats: Beats = { fail: false, acked: 0, ackedWhileWriting: 0 };
    const project = await projectOn(slowResultsStorage(60_000, beats));
    try {
      const task = async (row: { n: number }) => {
        // From the first row on, beats fail while its result write hangs.
        beats.fail = true;
        return row.n;
      };
      await expect(
        project.runExperiment({ dataset: "qa", experiment: "e", task, heartbeatMs: HEARTBEAT_MS, storageDeadlineMs: DEADLINE_MS }),
      ).rejects.toMatchObject({ code: "ERR_THEMIS_UNAVAILABLE", message: expect.stringMatching(/storage unreachable/) });
    } finally {
      beats.fail = false;
      await project.close();
    }
  }, 30_000);
});
