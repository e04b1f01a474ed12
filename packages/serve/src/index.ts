export { startServer, type RunningServer, type ServeOptions } from "./start-server.js";
export { createApp, type AppOptions } from "./app.js";
export { Catalog, type ProjectSummary, type ShownRun } from "./catalog.js";
export { queryRows, MAX_PAGE, type RowPage, type RowQuery } from "./row-query.js";
export { MAX_SORT_ROWS, SORT_KEY_CHARS } from "./sort-index.js";
export { exportLines, type ExportFormat } from "./export-rows.js";
export { HttpError } from "./http-error.js";
export { compareView, parseCompareQuery, type ComparePage, type ComparedRow } from "./run-compare.js";
