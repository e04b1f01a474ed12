import { afterAll, describe, expect, it } from "vitest";
import { Project } from "@themis/core";
import { localCsvBackend } from "../src/index.js";
import { removeDir, tempDir } from "./helpers.js";

const rootDir = tempDir();
afterAll(() => removeDir(rootDir));

describe("the writer's long-lived file handle", () => {
  it("reads it again and again (id checks, catch-ups) without piling listeners or streams on it", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on("warning", onWarning);
    const a = await Project.create("handle", localCsvBackend, { rootDir });
    const b = await Project.open("handle", localCsvBackend, { rootDir });
    try {
      const mine = await a.createDataset("d");
      const theirs = await b.getDataset("d");
      await mine.append({ _row_id: "first", n: 0 });
      for (let i = 1; i <= 15; i++) {
        // A stored id: its fingerprint hits, and the writer reads its file to confirm it.
        await expect(mine.append({ _row_id: "first", n: i })).rejects.toMatchObject({ code: "ERR_THEMIS_ALREADY_EXISTS" });
        // Another writer appended: the next write of this one catches up by reading the new bytes.
        await theirs.append({ _row_id: `theirs-${i}`, n: i });
        await mine.append({ _row_id: `mine-${i}`, n: i });
      }
      expect((await mine.load()).length).toBe(31);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning").map((w) => w.message)).toEqual([]);
    } finally {
      process.off("warning", onWarning);
      await a.close();
      await b.close();
    }
  });
});
