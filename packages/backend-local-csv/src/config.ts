import { z } from "zod";

// Node's timers hold at most 2^31-1 ms (about 24.8 days); a larger delay fires after 1 ms.
const MAX_TIMER_MS = 2 ** 31 - 1;

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
    .max(MAX_TIMER_MS)
    .default(10_000)
    .describe(
      "A table lock whose owner runs on another host (a shared file system) is broken once a waiter has seen it go unrefreshed for this long (on the waiter's own clock, so hosts' clocks may disagree). A lock whose owner is a process of this host is never broken while that process runs, whatever its age, and at once when it no longer runs.",
    ),
  lockTimeoutMs: z
    .number()
    .int()
    .min(0)
    .max(MAX_TIMER_MS)
    .default(60_000)
    .describe("How long an operation waits for another writer's lock on the same table before failing with ERR_THEMIS_CONFLICT."),
});

/** Validated config of the "local/csv" backend (defaults applied). */
export type LocalCsvConfig = z.output<typeof localCsvConfigSchema>;
/** Config as a user writes it (every field optional). */
export type LocalCsvOptions = z.input<typeof localCsvConfigSchema>;
