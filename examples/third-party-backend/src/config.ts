import { z } from "zod";

/** The registry name of this backend: the key under "themisBackends" in package.json. */
export const BACKEND_NAME = "jsonl";

/**
 * The config of the "jsonl" backend. Core validates user input against this schema before
 * `create` runs, fills in the defaults, derives the JSON Schema that `themis backends schema
 * jsonl` prints, and turns failures into InvalidConfigError with field paths.
 */
export const jsonlConfigSchema = z.strictObject({
  rootDir: z
    .string()
    .min(1)
    .default("./themis-data")
    // A path field: in a themis config file, a relative path is resolved against that file's folder.
    .meta({ path: true })
    .describe(
      "Folder holding one sub-folder per project. A relative path is resolved against the folder of the themis config file that sets it, else against the working directory.",
    ),
  fsync: z
    .boolean()
    .default(true)
    .describe("Flush every write to disk before it is acknowledged. Turn off only for scratch data: a power loss may then lose acknowledged rows."),
});

/** The validated config `create` receives (defaults applied). */
export type JsonlConfig = z.output<typeof jsonlConfigSchema>;
