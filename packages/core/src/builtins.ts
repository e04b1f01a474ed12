import type { BackendDefinition } from "./definition.js";
import { localBackend, sequentialBackend } from "./execution/local/definitions.js";
import { memoryBackend } from "./storage/memory.js";

/** Backends every registry has without installing anything. */
export const BUILTIN_BACKENDS: readonly BackendDefinition[] = [memoryBackend, localBackend, sequentialBackend];
