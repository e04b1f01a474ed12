import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { localCsvBackend } from "@themis/backend-local-csv";
import { Project, Registry } from "@themis/core";

/** A registry with the built-ins only (local, sequential, memory): tests do not depend on what is installed. */
export const registry = new Registry({ discover: false });

/** A fresh project on local/csv in a temp folder; `cleanup` closes it and removes the folder. */
export async function tempProject(rows: number): Promise<{ project: Project; dir: string; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), "themis-pipeline-"));
  const project = await Project.create("p", localCsvBackend, { rootDir: dir });
  const qa = await project.createDataset("qa");
  await qa.appendMany(Array.from({ length: rows }, (_, i) => ({ _row_id: `r${i}`, q: `q${i}`, a: `q${i}`.toUpperCase(), n: i })));
  return {
    project,
    dir,
    cleanup: async () => {
      await project.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A dataset row of the test dataset. */
export interface QaRow {
  q: string;
  a: string;
  n: number;
  [key: string]: string | number;
}
