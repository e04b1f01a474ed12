import { type Dataset, type Project, type Registry, canonicalJson, validateName } from "@themis/core";
import { type OpenedResults, openResults } from "./cache.js";
import { type Pipeline, experimentOf } from "./define.js";
import { PipelineDefinitionError } from "./errors.js";
import { type CheckedExecutor, checkExecutor } from "./executors.js";
import { downstreamOf } from "./graph.js";
import { hashOf, stageCodeHash } from "./hash.js";
import { type CheckedPostprocess, checkPostprocess } from "./postprocess.js";

/** Which stages a run computes: all, one (`only`), or one and everything downstream (`from`). */
export interface Selection {
  only?: string | undefined;
  from?: string | undefined;
}

/** A stage ready to run or to be read from storage, checked before anything starts. */
export interface PreparedStage {
  readonly name: string;
  /** "run": computed; "stored": its stored results feed a selected stage. */
  readonly mode: "run" | "stored";
  readonly experiment: string;
  readonly root: boolean;
  readonly codeHash: string;
  readonly paramsHash: string;
  readonly executor: CheckedExecutor | undefined;
  readonly dataset: Dataset | undefined;
  /** Postprocessors run on the stage's results once it is done (stages that run only). */
  readonly postprocess: readonly CheckedPostprocess[];
}

function known(pipeline: Pipeline, name: string, option: string): string {
  if (!pipeline.nodes.has(name)) {
    throw new PipelineDefinitionError("unknown-stage", `${option} "${name}" is not a stage of this pipeline (stages: ${pipeline.order.join(", ")})`, [name]);
  }
  return name;
}

/** The stages a selection computes, and the stages whose stored results they read. */
export function selectStages(pipeline: Pipeline, selection: Selection): Map<string, "run" | "stored"> {
  if (selection.only !== undefined && selection.from !== undefined)
    throw new PipelineDefinitionError("invalid-option", "use either `only` or `from`, not both", [selection.only, selection.from]);
  const run =
    selection.only !== undefined
      ? new Set([known(pipeline, selection.only, "only")])
      : selection.from !== undefined
        ? downstreamOf(pipeline.nodes, known(pipeline, selection.from, "from"))
        : new Set(pipeline.order);
  const modes = new Map<string, "run" | "stored">();
  for (const name of pipeline.order) {
    if (run.has(name)) modes.set(name, "run");
    else if ([...run].some((r) => pipeline.nodes.get(r)!.upstream.some((e) => e.stage === name))) modes.set(name, "stored");
  }
  return modes;
}

/**
 * Check every selected stage before anything runs: experiment names, code hashes (a
 * missing module fails here), executors and their configs, root datasets, postprocessors
 * and their configs.
 */
export async function prepareStages(project: Project, pipeline: Pipeline, selection: Selection, registry?: Registry): Promise<PreparedStage[]> {
  const modes = selectStages(pipeline, selection);
  const prepared: PreparedStage[] = [];
  for (const [name, mode] of modes) {
    const spec = pipeline.nodes.get(name)!.spec;
    const experiment = experimentOf(pipeline, name);
    validateName("experiment", experiment);
    const root = spec.dataset !== undefined;
    const running = mode === "run";
    prepared.push({
      name,
      mode,
      experiment,
      root,
      codeHash: running ? stageCodeHash(spec.task, spec.taskVersion) : "",
      paramsHash: hashOf("parameters", canonicalJson(spec.parameters ?? {})),
      executor: running ? await checkExecutor(spec, registry) : undefined,
      dataset: running && spec.dataset !== undefined ? await project.getDataset(spec.dataset) : undefined,
      postprocess: running ? await checkPostprocess(spec.postprocess, registry) : [],
    });
  }
  return prepared;
}

/** Stored results of each prepared stage, read through their indexes (experiments of stages that run are created when missing). */
export function loadStageResults(project: Project, stages: readonly PreparedStage[], create = true): Promise<OpenedResults[]> {
  return Promise.all(stages.map((s) => openResults(project, s.experiment, create && s.mode === "run", true)));
}
