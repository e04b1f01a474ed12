import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { storageSuite } from "@themis/conformance";
import { jsonlBackend } from "../src/index.js";

// Every behaviour core expects of a storage backend, on a fresh folder.
const rootDir = mkdtempSync(path.join(tmpdir(), "themis-jsonl-conformance-"));
afterAll(() => rmSync(rootDir, { recursive: true, force: true }));

storageSuite({
  name: "jsonl",
  // Through the definition, as the registry and the CLI do: the config is validated and
  // defaulted, and the definition's capabilities pick the tests.
  definition: jsonlBackend,
  config: { rootDir, fsync: true },
  // What really reached the disk, read without the backend: the row ids of the file, in order.
  oracle: {
    async rowIds(project, kind, table) {
      const file = path.join(rootDir, project, kind === "dataset" ? "datasets" : "experiments", `${table}.jsonl`);
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (error) {
        if ((error as { code?: string }).code === "ENOENT") return undefined;
        throw error;
      }
      return text
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => (JSON.parse(line) as { _row_id: string })._row_id);
    },
  },
});
