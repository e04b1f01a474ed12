import type { z } from "zod";
import type { localConfigSchema, sequentialConfigSchema } from "./execution/local/definitions.js";
import type { memoryConfigSchema } from "./storage/memory.js";

/**
 * The config each backend name takes, as the compiler and your editor see it. Core
 * declares its built-ins; every backend package adds its own by module augmentation, so
 * `Project.create("p", "local/csv", { rootDr: "./data" })` is a compile error once
 * `@themis/backend-local-csv` is part of the compilation:
 *
 * ```ts
 * declare module "@themis/core" {
 *   interface BackendConfigs {
 *     "my/backend": MyBackendConfigInput;
 *   }
 * }
 * ```
 *
 * Names nobody declared (a third-party package without the augmentation, a URI) take any
 * object, checked at run time by the backend's schema as always.
 */
export interface BackendConfigs {
  memory: z.input<typeof memoryConfigSchema>;
  local: z.input<typeof localConfigSchema>;
  sequential: z.input<typeof sequentialConfigSchema>;
}

/**
 * The config `Project.create/open/openOrCreate` accept with a storage argument: the declared
 * type of a known backend name, otherwise any object (a URI, an undeclared name, a
 * definition or a backend instance).
 */
export type ConfigFor<S> = S extends keyof BackendConfigs ? BackendConfigs[S] : Record<string, unknown>;
