import { PipelineDefinitionError } from "./errors.js";
import { type Stage, type Upstream, isStage } from "./stage.js";

/** One upstream edge: the stage it comes from, and the field it fills (null: the whole input). */
export interface Edge {
  readonly stage: string;
  readonly field: string | null;
}

/** A stage with its name and resolved upstream edges. */
export interface StageNode {
  readonly name: string;
  readonly spec: Stage;
  readonly upstream: readonly Edge[];
}

function nameOf(ref: Stage | string, stages: Readonly<Record<string, Stage>>, where: string): string {
  if (typeof ref === "string") {
    if (!Object.hasOwn(stages, ref))
      throw new PipelineDefinitionError(
        "unknown-stage",
        `stage "${where}" reads from "${ref}", which is not a stage of this pipeline (stages: ${Object.keys(stages).join(", ")})`,
        [where, ref],
      );
    return ref;
  }
  const found = Object.entries(stages).find(([, s]) => s === ref);
  if (!found)
    throw new PipelineDefinitionError("unknown-stage", `stage "${where}" reads from a stage that is not part of this pipeline: add it to \`stages\``, [where]);
  return found[0];
}

function edgesOf(name: string, from: Upstream, stages: Readonly<Record<string, Stage>>): Edge[] {
  if (typeof from === "string" || isStage(from)) return [{ stage: nameOf(from, stages, name), field: null }];
  const edges = Object.entries(from).map(([field, ref]) => ({ stage: nameOf(ref, stages, name), field }));
  if (edges.length === 0) throw new PipelineDefinitionError("missing-input", `stage "${name}" has an empty \`from\``, [name]);
  return edges;
}

function checkStage(name: string, spec: unknown): asserts spec is Stage {
  if (!isStage(spec)) throw new PipelineDefinitionError("invalid-option", `stage "${name}" is not a stage: declare it with stage({ ... })`, [name]);
  if (spec.task === undefined || spec.task === null) throw new PipelineDefinitionError("missing-task", `stage "${name}" has no task`, [name]);
  const hasDataset = spec.dataset !== undefined;
  const hasFrom = spec.from !== undefined;
  if (hasDataset === hasFrom) {
    throw new PipelineDefinitionError("missing-input", `stage "${name}" needs exactly one input: \`dataset\` (a dataset name) or \`from\` (upstream stages)`, [
      name,
    ]);
  }
  if (spec.concurrency !== undefined && (!Number.isInteger(spec.concurrency) || spec.concurrency < 1)) {
    throw new PipelineDefinitionError("invalid-option", `stage "${name}": concurrency must be a positive integer, got ${spec.concurrency}`, [name]);
  }
}

/** Stages in an order where every stage comes after its upstreams; a cycle is an error naming its path. */
function topologicalOrder(nodes: ReadonlyMap<string, StageNode>): string[] {
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === "done") return;
    if (state.get(name) === "visiting") {
      const cycle = [...path.slice(path.indexOf(name)), name];
      throw new PipelineDefinitionError("cycle", `stages form a cycle: ${cycle.join(" -> ")}`, cycle);
    }
    state.set(name, "visiting");
    for (const e of nodes.get(name)!.upstream) visit(e.stage, [...path, name]);
    state.set(name, "done");
    order.push(name);
  };
  for (const name of nodes.keys()) visit(name, []);
  return order;
}

/** Resolve and check a pipeline's stages: every error a definition can have, before anything runs. */
export function resolveGraph(stages: Readonly<Record<string, Stage>>): { nodes: Map<string, StageNode>; order: string[] } {
  if (typeof stages !== "object" || stages === null || Object.keys(stages).length === 0) {
    throw new PipelineDefinitionError("missing-input", "a pipeline needs at least one stage", []);
  }
  const nodes = new Map<string, StageNode>();
  for (const [name, spec] of Object.entries(stages)) {
    checkStage(name, spec);
    nodes.set(name, { name, spec, upstream: spec.from === undefined ? [] : edgesOf(name, spec.from, stages) });
  }
  return { nodes, order: topologicalOrder(nodes) };
}

/** The stages downstream of `name` (itself included). */
export function downstreamOf(nodes: ReadonlyMap<string, StageNode>, name: string): Set<string> {
  const out = new Set<string>([name]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const node of nodes.values()) {
      if (!out.has(node.name) && node.upstream.some((e) => out.has(e.stage))) {
        out.add(node.name);
        grew = true;
      }
    }
  }
  return out;
}
