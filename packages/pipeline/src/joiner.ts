import type { JsonValue } from "@themis/core";
import type { Emission, OutputReader, ReadyRow } from "./emission.js";
import type { Edge } from "./graph.js";
import { hashText } from "./hash.js";
import { AsyncQueue } from "./queue.js";

interface Partial {
  got: number;
  failed: boolean;
  keys: (string | undefined)[];
  outputs: (JsonValue | undefined)[];
}

/** The input hash of a downstream row: its upstream rows' cache keys, edge by edge. */
export function joinHash(edges: readonly Edge[], keys: readonly (string | undefined)[]): string {
  // hashOf("upstream", ...parts) built in one string: it runs once per row and stage.
  let text = "upstream";
  for (let i = 0; i < edges.length; i++) text += `\u0000${edges[i]?.field ?? ""}=${edges[i]?.stage}:${keys[i]}`;
  return hashText(text);
}

/**
 * Joins a stage's upstream rows on dataset row id: a row is ready as soon as every upstream
 * has emitted it (streaming: it does not wait for whole stages), blocked when one of them
 * failed. Rows some upstream never emits are counted as unmatched when all upstreams end.
 */
export class Joiner {
  readonly queue = new AsyncQueue<ReadyRow>();
  readonly #edges: readonly Edge[];
  readonly #partial = new Map<string, Partial>();
  readonly #open: Set<string>;
  readonly #onUnmatched: (rowId: string) => void;
  readonly #read: OutputReader;
  #closed = false;

  constructor(edges: readonly Edge[], onUnmatched: (rowId: string) => void, read: OutputReader) {
    this.#edges = edges;
    this.#read = read;
    this.#open = new Set(edges.map((e) => e.stage));
    this.#onUnmatched = onUnmatched;
  }

  /** An upstream stage emitted a row. */
  receive(stage: string, emission: Emission): void {
    if (this.#closed) return;
    for (let i = 0; i < this.#edges.length; i++) {
      if (this.#edges[i]!.stage !== stage) continue;
      let p = this.#partial.get(emission.rowId);
      if (!p) {
        p = { got: 0, failed: false, keys: [], outputs: [] };
        this.#partial.set(emission.rowId, p);
      }
      p.got++;
      if (emission.ok) {
        p.keys[i] = emission.key;
        p.outputs[i] = emission.output;
      } else p.failed = true;
      if (p.got === this.#edges.length) {
        this.#partial.delete(emission.rowId);
        this.queue.push(this.#ready(emission.rowId, p));
      }
    }
  }

  #ready(rowId: string, p: Partial): ReadyRow {
    if (p.failed) return { rowId, blocked: true };
    const inputHash = joinHash(this.#edges, p.keys);
    if (p.outputs.length === this.#edges.length && !p.outputs.includes(undefined)) return { rowId, blocked: false, inputHash, input: this.#input(p.outputs) };
    // Some upstream row was reused from its stage's index: its output is read if this row runs.
    const load = async (): Promise<unknown> =>
      this.#input(await Promise.all(this.#edges.map((e, i) => p.outputs[i] ?? this.#read(e.stage, rowId, p.keys[i] ?? ""))));
    return { rowId, blocked: false, inputHash, input: undefined, load };
  }

  /** A row's input from its upstream outputs: the output itself for one unnamed upstream, else an object by field. */
  #input(outputs: readonly (JsonValue | undefined)[]): unknown {
    if (this.#edges.length === 1 && this.#edges[0]?.field === null) return outputs[0];
    const input: Record<string, JsonValue | undefined> = {};
    for (const [i, e] of this.#edges.entries()) input[e.field ?? e.stage] = outputs[i];
    return input;
  }

  /** An upstream stage has emitted everything. */
  ended(stage: string): void {
    this.#open.delete(stage);
    if (this.#open.size > 0 || this.#closed) return;
    for (const rowId of this.#partial.keys()) this.#onUnmatched(rowId);
    this.#partial.clear();
    this.queue.end();
  }

  /** The stage stopped reading (cancelled): rows its upstreams still emit are dropped, not queued. */
  close(): void {
    this.#closed = true;
    this.#partial.clear();
    this.queue.end();
  }
}
