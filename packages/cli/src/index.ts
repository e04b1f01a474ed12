/**
 * @themis/cli: the `themis` command, and the library functions behind it.
 * @module
 */
export { main } from "./main.js";
export { copyProject, type CopiedTable, type CopyOptions, type CopyProgress } from "./copy-project.js";
export { writeRows, exportToFile, EXPORT_FORMATS, type ExportFormat, type RowSource } from "./export-table.js";
export { configTemplate, configTemplateJson, secretEnvName } from "./config-template.js";
export { EXIT_FAILED, EXIT_OK, EXIT_USAGE } from "./exit-codes.js";
export type { OutputStreams } from "./output.js";
