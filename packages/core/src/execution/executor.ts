import { type ExecutionBackendDefinition, isBackendDefinition } from "../definition.js";
import { parseBackendConfig } from "../backend-config.js";
import { defaultExecution } from "../config-file/defaults.js";
import { type Registry, defaultRegistry } from "../registry/registry.js";
import type { ExecutionBackend } from "./contract.js";

/**
 * Which executor to use: a registry name ("local", "sequential", "docker"), a definition
 * object, or an executor instance you created (then you close it yourself).
 */
export type ExecutionSpec = string | ExecutionBackend | ExecutionBackendDefinition;

/** The executor used when none is named and the themis config names none. */
export const DEFAULT_EXECUTOR = "local";

/** True when `value` looks like an executor instance (has `run` and `kinds`), not a name or a definition. */
export function isExecutionBackend(value: unknown): value is ExecutionBackend {
  return (
    typeof value === "object" && value !== null && typeof (value as ExecutionBackend).run === "function" && Array.isArray((value as ExecutionBackend).kinds)
  );
}

/**
 * Create the executor a spec names. Without a spec: the one the themis config names
 * (`execution:`), else the built-in "local". `owned` says whether the caller created it
 * (and must close it).
 */
export async function createExecutor(
  spec: ExecutionSpec | undefined,
  config: Record<string, unknown> = {},
  registry?: Registry,
): Promise<{ executor: ExecutionBackend; owned: boolean }> {
  if (spec === undefined) {
    const overrides = Object.keys(config).length > 0 ? { overrides: config } : {};
    return { executor: await defaultExecution({ ...(registry ? { registry } : {}), ...overrides }), owned: true };
  }
  if (isExecutionBackend(spec)) return { executor: spec, owned: false };
  if (isBackendDefinition(spec)) {
    const def = spec as ExecutionBackendDefinition;
    return { executor: await def.create(parseBackendConfig(def, config)), owned: true };
  }
  return { executor: await (registry ?? defaultRegistry()).create("execution", spec, config), owned: true };
}
