import { afterAll } from "vitest";
import { storageSuite } from "@themis/conformance";
import { createBackend, readCsvRaw, removeDir, tableFile, tempDir } from "./helpers.js";

const rootDir = tempDir();
afterAll(() => removeDir(rootDir));

storageSuite({
  name: "local/csv",
  create: () => createBackend(rootDir),
  oracle: {
    async rowIds(project, kind, table) {
      return readCsvRaw(tableFile(rootDir, project, kind, table))?.map((r) => r._row_id!);
    },
  },
});
