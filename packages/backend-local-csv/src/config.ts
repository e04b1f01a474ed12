import { z } from "zod";

/** Where tables go when `rootDir` is not given, resolved against `process.cwd()`. */
export const DEFAULT_ROOT_DIR = "./themis-data";

/**
 * Config of the "local/csv" backend. Every field has a default, so `{}` works.
 */
export const localCsvConfigSchema = z.strictObject({
  rootDir: z
    .string()
    .min(1)
    .default(DEFAULT_ROOT_DIR)
    .meta({ path: true })
    .describe(
      `Folder holding one sub-folder per project (default "${DEFAULT_ROOT_DIR}"). A relative path is resolved against the folder of the themis config file that sets it, else against the working directory.`,
    ),
  fsyncAppends: z
    .boolean()
    .default(false)
    .describe(
      "fsync after every append. Off: an acknowledged append survives the process being killed (it is in the OS page cache), not a power cut. On: it survives both, at the cost of a disk flush per batch. Rewrites (update, delete, new columns) are always fsynced.",
    ),
  lockStaleMs: z
    .number()
    .int()
    .min(1000)
    .default(10_000)
    .describe(
      "A table lock whose owner is not seen alive for this long is stale and is broken. A lock held by a process of this host that no longer runs is broken at once.",
    ),
  lockTimeoutMs: z
    .number()
    .int()
    .min(0)
    .default(60_000)
    .describe("How long an operation waits for another writer's lock on the same table before failing with ERR_THEMIS_CONFLICT."),
});

/** Validated config of the "local/csv" backend (defaults applied). */
export type LocalCsvConfig = z.output<typeof localCsvConfigSchema>;
/** Config as a user writes it (every field optional). */
export type LocalCsvOptions = z.input<typeof localCsvConfigSchema>;
