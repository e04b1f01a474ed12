import type { ExecutionBackend, Project } from "@themis/core";
import type { StageClaims } from "./claims.js";
import type { StagePostprocessOutcome } from "./postprocess.js";
import { type OpenedResults, readAllResults } from "./cache.js";
import type { Pipeline } from "./define.js";
import type { Emission, ReadyRow } from "./emission.js";
import { Joiner } from "./joiner.js";
import { outputReader } from "./outputs.js";
import type { PreparedStage } from "./prepare.js";
import { type StageCounts, datasetRowHash, replayStage, runStage } from "./stage-runner.js";

/** What {@link runStages} shares with every stage. */
export interface RunShared {
  readonly project: Project;
  readonly runId: string;
  readonly claims: ReadonlyMap<string, StageClaims>;
  /** What each stage's postprocessors did, filled in as stages end. */
  readonly postprocessed: Map<string, StagePostprocessOutcome[]>;
  readonly signal: AbortSignal;
  /** The signal a stage runs under: the run's, or its own once it is cancelled alone. */
  readonly signalOf: (stage: string) => AbortSignal;
  readonly counts: ReadonlyMap<string, StageCounts>;
  /** Stops the whole run (a write failed, a stage threw). */
  readonly fail: (error: unknown) => void;
  readonly onEvent: ((event: { type: "stage-started" | "stage-ended"; stage: string; counts: StageCounts }) => void) | undefined;
}

async function* datasetRows(stage: PreparedStage): AsyncGenerator<ReadyRow> {
  if (!stage.dataset) return;
  for await (const row of stage.dataset.entries()) yield { rowId: row._row_id, blocked: false, inputHash: datasetRowHash(row), input: row };
}

function claimsOf(shared: RunShared, stage: string): StageClaims {
  const claims = shared.claims.get(stage);
  if (!claims) throw new Error(`internal: stage "${stage}" runs without its claims`);
  return claims;
}

/**
 * Wire the stages together and run them all at once: each stage emits a row to the joiners
 * of its downstream stages as soon as it is done, so a downstream row starts when its own
 * upstream rows are done. Stages that are only read (`only` / `from`) replay their stored
 * results. A stage that ends, even by an error, ends its downstream joiners, so nothing waits
 * forever.
 */
export async function runStages(
  pipeline: Pipeline,
  stages: readonly PreparedStage[],
  stored: readonly OpenedResults[],
  executors: ReadonlyMap<string, { executor: ExecutionBackend }>,
  shared: RunShared,
): Promise<void> {
  const joiners = new Map<string, Joiner>();
  const read = outputReader(new Map(stages.flatMap((s, i) => (stored[i] === undefined ? [] : [[s.name, stored[i]] as const]))));
  for (const s of stages) {
    if (s.mode === "run" && !s.root) {
      const counts = shared.counts.get(s.name)!;
      joiners.set(s.name, new Joiner(pipeline.nodes.get(s.name)!.upstream, () => counts.unmatched++, read));
    }
  }
  const downstream = (name: string): Joiner[] => [...joiners].filter(([n]) => pipeline.nodes.get(n)!.upstream.some((e) => e.stage === name)).map(([, j]) => j);
  const emitterOf = (name: string): ((e: Emission) => void) => {
    const targets = downstream(name);
    return (e) => {
      for (const j of targets) j.receive(name, e);
    };
  };
  const endOf = (name: string): void => {
    for (const j of downstream(name)) j.ended(name);
    shared.onEvent?.({ type: "stage-ended", stage: name, counts: shared.counts.get(name)! });
  };
  const running = stages.map(async (s, i) => {
    const counts = shared.counts.get(s.name)!;
    const emit = emitterOf(s.name);
    shared.onEvent?.({ type: "stage-started", stage: s.name, counts });
    try {
      if (s.mode === "stored") return replayStage({ results: stored[i]!.results, counts, emit });
      const source = s.root ? datasetRows(s) : joiners.get(s.name)!.queue;
      await runStage(
        {
          name: s.name,
          spec: pipeline.nodes.get(s.name)!.spec,
          root: s.root,
          table: stored[i]!.table!,
          results: stored[i]!.results,
          index: stored[i]?.index,
          codeHash: s.codeHash,
          paramsHash: s.paramsHash,
          executor: executors.get(s.name)!.executor,
          claims: claimsOf(shared, s.name),
          runId: shared.runId,
          signal: shared.signalOf(s.name),
          counts,
          emit,
          onError: shared.fail,
        },
        source,
      );
    } catch (error) {
      shared.fail(error);
    } finally {
      joiners.get(s.name)?.close();
      endOf(s.name);
    }
    // After the stage has ended its downstream joiners: downstream stages do not wait for it.
    const table = stored[i]?.table;
    if (s.postprocess.length > 0 && table && !shared.signalOf(s.name).aborted) {
      // Postprocessors see whole results (outputs included), which the index does not keep.
      const results = await readAllResults(table);
      const outcomes: StagePostprocessOutcome[] = [];
      for (const p of s.postprocess) outcomes.push(await p.run(shared.project, s.experiment, results, shared.signalOf(s.name)));
      shared.postprocessed.set(s.name, outcomes);
    }
  });
  await Promise.all(running);
}
