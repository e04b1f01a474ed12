export { PipelineDefinitionError, type PipelineProblem } from "./errors.js";
export { commandTask, isStage, moduleTask, stage, type InputOf, type OutputOf, type Stage, type StageOptions, type StageTask, type Upstream } from "./stage.js";
export { definePipeline, experimentOf, isPipeline, type Pipeline, type PipelineSpec } from "./define.js";
export type { Edge, StageNode } from "./graph.js";
export type { RowReason, StoredResult } from "./cache.js";
export type { StageCounts } from "./stage-runner.js";
export { runPipeline, type PipelineRunSummary, type RunPipelineOptions } from "./run.js";
export { PIPELINE_RUNS_TABLE, listPipelineRuns, type PipelineRunRecord, type PipelineRunStatus, type StageRecord } from "./run-record.js";
export { planPipeline, type PipelinePlan, type PlanOptions, type StagePlan } from "./plan.js";
