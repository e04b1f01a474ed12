import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Papa from "papaparse";
import { Project, type TableKind } from "@themis/core";
import { localCsvBackend, localCsvConfigSchema, type LocalCsvOptions, type LocalCsvStorage } from "../src/index.js";

/** A pid that surely no longer runs: a child that already exited. */
export function deadPid(): number {
  return Number(spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" }).stdout);
}

/** A fresh temp folder; remove it with {@link removeDir}. */
export function tempDir(label = "themis-local-csv-"): string {
  return mkdtempSync(path.join(tmpdir(), label));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Open a project on a backend of its own (closed with the project). */
export function openProject(rootDir: string, name: string, options: LocalCsvOptions = {}): Promise<Project> {
  return Project.open(name, localCsvBackend, { ...options, rootDir });
}

/** A backend over `rootDir`, config validated as the registry would. */
export function createBackend(rootDir: string, options: LocalCsvOptions = {}): LocalCsvStorage {
  return localCsvBackend.create(localCsvConfigSchema.parse({ ...options, rootDir })) as LocalCsvStorage;
}

export function tableFile(rootDir: string, project: string, kind: TableKind, table: string): string {
  return path.join(rootDir, project, kind === "dataset" ? "datasets" : "experiments", `${table}.csv`);
}

/**
 * The oracle: reads a table's CSV file with papaparse directly, never through the backend.
 * Returns the records as header-keyed objects of raw cell text.
 */
export function readCsvRaw(file: string): Record<string, string>[] | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const parsed = Papa.parse<Record<string, string>>(text, { header: true, skipEmptyLines: true, delimiter: "," });
  if (parsed.errors.length > 0) throw new Error(`oracle: ${file} is not valid CSV: ${JSON.stringify(parsed.errors.slice(0, 3))}`);
  if (parsed.meta.fields?.[0] !== "_row_id") throw new Error(`oracle: ${file} does not start with a _row_id column`);
  return parsed.data;
}
