/**
 * The postprocessors Themis ships: `summary`, `export` and `archive`. Each is also its own
 * entry in package.json's `themisBackends` (kind "postprocess"), so installing this
 * package makes them available by name: `runPostprocess(project, "summary", { experiment })`.
 *
 * @packageDocumentation
 */
export { archiveConfigSchema, archivePostprocessor, type ArchiveConfig } from "./archive.js";
export { exportConfigSchema, exportPostprocessor, type ExportConfig } from "./export.js";
export { metricsOf, summaryConfigSchema, summaryPostprocessor, summaryTable, type MetricStats, type SummaryConfig } from "./summary.js";
