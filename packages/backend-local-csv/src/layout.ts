import path from "node:path";
import type { TableKind } from "@themis/core";

/**
 * Where things live under `rootDir` (the layout of Ragas' local/csv backend):
 *
 * ```
 * <rootDir>/<project>/datasets/<name>.csv
 * <rootDir>/<project>/experiments/<name>.csv
 * ```
 *
 * Beside a table, while in use: `<name>.csv.lock` (the writers' lock file), hidden
 * `.<name>.csv.*.tmp` files during a rewrite, and `<name>.csv.torn` if an interrupted
 * write ever had to be moved aside.
 */
export const TABLE_EXTENSION = ".csv";

/** The folder of each table kind inside a project folder. */
export const KIND_FOLDERS: Record<TableKind, string> = { dataset: "datasets", experiment: "experiments" };

export function projectDir(rootDir: string, project: string): string {
  return path.join(rootDir, project);
}

export function kindDir(rootDir: string, project: string, kind: TableKind): string {
  return path.join(rootDir, project, KIND_FOLDERS[kind]);
}

export function tablePath(rootDir: string, project: string, kind: TableKind, name: string): string {
  return path.join(kindDir(rootDir, project, kind), name + TABLE_EXTENSION);
}

/** The table name a directory entry stands for, or undefined for anything else. */
export function tableNameOf(fileName: string): string | undefined {
  if (!fileName.endsWith(TABLE_EXTENSION) || fileName.startsWith(".")) return undefined;
  const name = fileName.slice(0, -TABLE_EXTENSION.length);
  return name.length > 0 ? name : undefined;
}
