// The files of a static export (`themis serve --export DIR`), shared by the exporter and
// the UI that reads them (type-only there). Each data file `data/KEY.js` holds one value:
//
//   index                 ExportIndex
//   pN/project            ExportProject (runs included: records are small)
//   pN/tM/meta            ExportTable; pages pN/tM/0, pN/tM/1, …: Row[] of `pageRows` rows
//   pN/cM/meta            ExportCompare; pages pN/cM/all-K and pN/cM/changed-K: ComparedRow[]
import type { ShownRun } from "./catalog.js";
import type { ComparePage } from "./run-compare.js";

/** Version of this layout, written into the index (a newer UI can still read older exports). */
export const EXPORT_FORMAT = 1;

/** `data/index.js`: what the export holds. */
export interface ExportIndex {
  format: number;
  /** When the snapshot was taken (ISO 8601). */
  exportedAt: string;
  projects: { name: string; key: string }[];
}

/** `data/pN/project.js`: one project's tables, runs and exported comparisons. */
export interface ExportProject {
  name: string;
  datasets: string[];
  experiments: string[];
  /** Data key of each table, by `datasets/NAME` or `experiments/NAME`. */
  tables: Record<string, string>;
  runs: ShownRun[];
  /** Data key of each exported comparison, by `A\nB` (run ids; A is the baseline). */
  compares: Record<string, string>;
}

/** `data/…/meta.js` of a table: its size, columns and how its rows are split into page files. */
export interface ExportTable {
  total: number;
  columns: string[];
  pageRows: number;
  pages: number;
}

/** `data/…/meta.js` of a comparison: core's figures and the joined rows' page files. */
export interface ExportCompare {
  comparison: ComparePage["comparison"];
  total: number;
  changed: number;
  pageRows: number;
}

/** The data key of a table: `datasets/NAME` or `experiments/NAME`. */
export const tableSlot = (kind: "datasets" | "experiments", name: string): string => `${kind}/${name}`;
/** The data key of a comparison of runs A (baseline) and B. */
export const compareSlot = (a: string, b: string): string => `${a}\n${b}`;
