import path from "node:path";
import { Project, type Row } from "@themis/core";
import { localCsvBackend } from "@themis/backend-local-csv";
import { makeApp } from "./helpers.js";

/** The config of a seeded app: project "demo" on local/csv under ./data. */
export const CONFIG = "project: demo\nstorage:\n  type: local/csv\n  rootDir: ./data\n";

/** A user's project with a local/csv config and a dataset "qa" holding `rows`. */
export async function seededApp(rows: Row[], files: Record<string, string> = {}): Promise<{ app: string; ids: string[] }> {
  const app = makeApp(["local-csv"], { "themis.config.yaml": CONFIG, ...files });
  const project = await Project.create("demo", localCsvBackend, { rootDir: path.join(app, "data") });
  const ids = await (await project.createDataset("qa")).appendMany(rows);
  await project.close();
  return { app, ids };
}
