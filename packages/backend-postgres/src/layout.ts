/**
 * The SQL layout: three tables in one PostgreSQL schema (the config's `schema`, "themis"
 * by default), shared by every project. Projects are isolated by key (the `project`
 * column), not by a schema each: creating a project is then one INSERT rather than DDL,
 * a delete is one cascading DELETE, and a user queries every project with the same SQL.
 *
 * Rows keep their exact JSON text in `rows.json` (JSONB would reorder keys and drop
 * duplicate ones); `json::jsonb` gives SQL access to fields when querying.
 */
export const LAYOUT_VERSION = 1;

/** `"schema"."table"`, the schema checked by the config (lower-case letters, digits, `_`). */
export interface Names {
  readonly projects: string;
  readonly tables: string;
  readonly rows: string;
}

export function namesIn(schema: string): Names {
  const q = `"${schema}"`;
  return { projects: `${q}.projects`, tables: `${q}.tables`, rows: `${q}.rows` };
}

/** The DDL, idempotent; run under an advisory lock so two processes starting at once do not race. */
export function createLayoutSql(schema: string): string {
  const n = namesIn(schema);
  return `
CREATE SCHEMA IF NOT EXISTS "${schema}";
CREATE TABLE IF NOT EXISTS ${n.projects} (
  name text PRIMARY KEY COLLATE "C",
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ${n.tables} (
  id bigserial PRIMARY KEY,
  project text NOT NULL COLLATE "C" REFERENCES ${n.projects}(name) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('dataset', 'experiment')),
  name text NOT NULL COLLATE "C",
  UNIQUE (project, kind, name)
);
CREATE TABLE IF NOT EXISTS ${n.rows} (
  table_id bigint NOT NULL REFERENCES ${n.tables}(id) ON DELETE CASCADE,
  seq bigserial NOT NULL,
  row_id text NOT NULL COLLATE "C",
  json text NOT NULL,
  PRIMARY KEY (table_id, row_id)
);
CREATE INDEX IF NOT EXISTS rows_order ON ${n.rows} (table_id, seq);
COMMENT ON SCHEMA "${schema}" IS 'Themis storage, layout ${LAYOUT_VERSION}';`;
}
