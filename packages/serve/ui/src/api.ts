/** Minimal typed access to the server's JSON API (same origin; the cookie carries the token). */
import { STATIC_EXPORT } from "./mode.js";
import { staticApi } from "./static-api.js";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Row = { _row_id: string; [key: string]: Json };
export type Kind = "datasets" | "experiments";

export interface RowPage {
  rows: Row[];
  total: number;
  columns: string[];
  /** The server is still counting: `total` is the rows seen so far. */
  partial?: boolean;
}

export interface ProjectSummary {
  name: string;
  datasets: string[];
  experiments: string[];
}

/** A run record: the known fields, and whatever else the runner records. */
export interface Run {
  run_id: string;
  experiment: string;
  dataset: string;
  status: string;
  started_at?: string;
  finished_at?: string | null;
  duration_ms?: number | null;
  counts?: { [key: string]: number | null };
  /** What the run is now, decided by the server with core's `runState` ("stale": its heartbeat stopped). */
  state: string;
  [key: string]: Json | undefined;
}

/** What a table view shows: filter, sort. */
export interface ViewQuery {
  filter: string;
  sort: string | undefined;
  desc: boolean;
}

const enc = encodeURIComponent;

export const tablePath = (project: string, kind: Kind, name: string): string => `/api/projects/${enc(project)}/${kind}/${enc(name)}`;

export function queryString(q: ViewQuery, extra: Record<string, string | number> = {}): string {
  const p = new URLSearchParams();
  if (q.filter) p.set("filter", q.filter);
  if (q.sort !== undefined) p.set("sort", q.sort);
  if (q.desc) p.set("desc", "true");
  for (const [k, v] of Object.entries(extra)) p.set(k, String(v));
  return p.toString();
}

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { credentials: "same-origin" });
  const body = (await res.json()) as T & { error?: { message: string } };
  if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  return body;
}

export type { MetricComparison } from "@themis/core";
// The compare route's answer, typed by the server's own module (type-only: nothing of it is bundled).
export type { ComparePage, ComparedRow } from "../../src/run-compare.js";
import type { ComparePage } from "../../src/run-compare.js";

const httpApi = {
  projects: () => getJson<{ projects: string[] }>("/api/projects"),
  project: (p: string) => getJson<ProjectSummary>(`/api/projects/${enc(p)}`),
  rows: (p: string, k: Kind, t: string, q: ViewQuery, offset: number, limit: number) =>
    getJson<RowPage>(`${tablePath(p, k, t)}/rows?${queryString(q, { offset, limit })}`),
  row: (p: string, k: Kind, t: string, id: string) => getJson<Row>(`${tablePath(p, k, t)}/rows/${enc(id)}`),
  runs: (p: string) => getJson<{ runs: Run[] }>(`/api/projects/${enc(p)}/runs`),
  run: (p: string, id: string) => getJson<Run>(`/api/projects/${enc(p)}/runs/${enc(id)}`),
  compare: (p: string, a: string, b: string, changedOnly: boolean, offset: number, limit: number) =>
    getJson<ComparePage>(
      `/api/projects/${enc(p)}/compare?${new URLSearchParams({ a, b, changed: String(changedOnly), offset: String(offset), limit: String(limit) })}`,
    ),
  runEventsPath: (p: string, id: string) => `/api/projects/${enc(p)}/runs/${enc(id)}/events`,
};

/** What the views ask for: the served JSON API, or a static export's data files. */
export type Api = typeof httpApi;

export const api: Api = STATIC_EXPORT ? staticApi : httpApi;
