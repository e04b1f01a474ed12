import {
  type BackendDefinition,
  type ExecutionBackend,
  type ExecutionSpec,
  type Registry,
  defaultExecution,
  defaultRegistry,
  isBackendDefinition,
  parseBackendConfig,
} from "@themis/core";
import type { Stage } from "./stage.js";

function isInstance(spec: ExecutionSpec): spec is ExecutionBackend {
  return typeof spec === "object" && spec !== null && typeof (spec as ExecutionBackend).run === "function" && Array.isArray((spec as ExecutionBackend).kinds);
}

/**
 * A stage's executor, checked but not created: the definition is looked up (an unknown name
 * is core's UnknownBackendError) and the config parsed by its schema (InvalidConfigError),
 * so every stage's backend is known good before any stage starts.
 */
export interface CheckedExecutor {
  create(): Promise<{ executor: ExecutionBackend; owned: boolean }>;
}

export async function checkExecutor(spec: Stage, registry: Registry | undefined): Promise<CheckedExecutor> {
  const execution = spec.execution;
  const config = spec.executionConfig ?? {};
  if (execution === undefined) {
    const options = { ...(registry ? { registry } : {}), ...(Object.keys(config).length > 0 ? { overrides: config } : {}) };
    return { create: async () => ({ executor: await defaultExecution(options), owned: true }) };
  }
  if (isInstance(execution)) return { create: async () => ({ executor: execution, owned: false }) };
  let definition: BackendDefinition<"execution">;
  if (isBackendDefinition(execution)) definition = execution as BackendDefinition<"execution">;
  else definition = await (registry ?? defaultRegistry()).get(execution, "execution");
  const parsed = parseBackendConfig(definition, config);
  return { create: async () => ({ executor: await definition.create(parsed as never), owned: true }) };
}
