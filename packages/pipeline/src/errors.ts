import { ThemisError, type ThemisErrorOptions } from "@themis/core";

/** What is wrong with a pipeline definition: a stable discriminator to match on. */
export type PipelineProblem = "cycle" | "unknown-stage" | "missing-input" | "missing-task" | "invalid-option";

/**
 * A pipeline definition that cannot run: reported before any stage starts. Its code is
 * `ERR_THEMIS_INVALID_CONFIG` (like any invalid configuration); `problem` says which check
 * failed and `stages` names the stages involved (the cycle's path, the unknown name...).
 */
export class PipelineDefinitionError extends ThemisError {
  readonly problem: PipelineProblem;
  readonly stages: readonly string[];
  constructor(problem: PipelineProblem, message: string, stages: readonly string[], options?: ThemisErrorOptions) {
    super("ERR_THEMIS_INVALID_CONFIG", message, { backend: "pipeline", ...options });
    this.problem = problem;
    this.stages = stages;
  }
}
