import { validateName } from "@themis/core";
import { type StageNode, resolveGraph } from "./graph.js";
import type { Stage } from "./stage.js";

/** What {@link definePipeline} takes. */
export interface PipelineSpec<S extends Record<string, Stage>> {
  /** Names the pipeline's run records and the default experiment names (`<name>-<stage>`). Default: "pipeline". */
  name?: string;
  stages: S;
}

/** A checked pipeline: its stages, resolved edges and an order where upstreams come first. */
export interface Pipeline<S extends Record<string, Stage> = Record<string, Stage>> {
  readonly kind: "themis.pipeline";
  readonly name: string;
  readonly stages: S;
  readonly nodes: ReadonlyMap<string, StageNode>;
  readonly order: readonly string[];
}

/**
 * Declare a pipeline. The graph is checked at once (unknown stages, cycles, a stage
 * without input or task): a {@link PipelineDefinitionError} names the problem. Executors
 * and their configs are checked when it runs or is planned, before any row.
 */
export function definePipeline<const S extends Record<string, Stage>>(spec: PipelineSpec<S>): Pipeline<S> {
  const name = spec.name ?? "pipeline";
  validateName("experiment", name);
  const { nodes, order } = resolveGraph(spec.stages);
  return { kind: "themis.pipeline", name, stages: spec.stages, nodes, order };
}

/** The experiment a stage writes to. */
export function experimentOf(pipeline: Pipeline, stage: string): string {
  return pipeline.nodes.get(stage)!.spec.experiment ?? `${pipeline.name}-${stage}`;
}

/** True for a value made by {@link definePipeline}. */
export function isPipeline(value: unknown): value is Pipeline {
  return typeof value === "object" && value !== null && (value as Pipeline).kind === "themis.pipeline";
}
