import type { TableKind } from "@themis/core";

/**
 * Where everything lives in Redis. Every key starts with the configured prefix; everything
 * of one project carries the project name as a hash tag (`{project}`), so a project lives
 * in one cluster slot and its scripts can touch all of its keys atomically.
 *
 * Project and table names cannot contain ":" or braces (core validates names before a
 * backend sees them), so the ":"-separated layout below is unambiguous.
 *
 * | key                                  | type   | holds                                        |
 * | ------------------------------------ | ------ | -------------------------------------------- |
 * | `P:projects`                         | set    | names of projects (the listing index)        |
 * | `P:{p}:project`                      | hash   | the project's marker: `layout`, `createdAt`  |
 * | `P:{p}:datasets` / `:experiments`    | set    | table names of each kind                     |
 * | `P:{p}:ops`                          | zset   | recent table create/delete operation ids     |
 * | `P:{p}:deleted`                      | string | id of the delete that removed the project (10 min) |
 * | `P:{p}:<kind>:<table>:rows`          | hash   | `_row_id` → row as JSON                      |
 * | `P:{p}:<kind>:<table>:order`         | zset   | `_row_id` scored by append sequence          |
 * | `P:{p}:<kind>:<table>:seq`           | string | last append sequence number                  |
 * | `P:{p}:<kind>:<table>:ops`           | zset   | recent append/update/delete op ids (10 min)  |
 *
 * A large append also uses `P:{p}:<kind>:<table>:stash` and `:verdict`, which exist only
 * inside its MULTI (see appendCheckScript in scripts.ts), never between commands.
 */
export class KeyLayout {
  readonly prefix: string;

  constructor(prefix: string) {
    this.prefix = prefix;
  }

  /** Set of project names. */
  projects(): string {
    return `${this.prefix}:projects`;
  }

  /** The project's marker hash; the project exists when this key does. */
  project(project: string): string {
    return `${this.prefix}:{${project}}:project`;
  }

  /** Ids of the project's recent table creates and deletes (see scripts.ts). */
  projectOps(project: string): string {
    return `${this.prefix}:{${project}}:ops`;
  }

  /** Left for ten minutes by a project deletion: the id of the delete (see scripts.ts). */
  tombstone(project: string): string {
    return `${this.prefix}:{${project}}:deleted`;
  }

  /** Set of the project's table names of one kind. */
  tables(project: string, kind: TableKind): string {
    return `${this.prefix}:{${project}}:${kind}s`;
  }

  /** The keys of one table, in the order the Lua scripts expect them. */
  table(project: string, kind: TableKind, table: string): TableKeys {
    const base = `${this.prefix}:{${project}}:${kind}:${table}`;
    return {
      index: this.tables(project, kind),
      rows: `${base}:rows`,
      order: `${base}:order`,
      seq: `${base}:seq`,
      ops: `${base}:ops`,
      stash: `${base}:stash`,
      verdict: `${base}:verdict`,
    };
  }

  /**
   * The prefix of every key of a table's rows, for the project deletion script:
   * `<tablePrefix><name>:rows` and so on.
   */
  tableKeyPrefix(project: string, kind: TableKind): string {
    return `${this.prefix}:{${project}}:${kind}:`;
  }
}

/** The keys of one table. */
export interface TableKeys {
  /** The set of table names the table belongs to (its existence). */
  index: string;
  rows: string;
  order: string;
  seq: string;
  ops: string;
  /** Inside a large append's MULTI only: the stored rows, set aside while a refused batch is undone. */
  stash: string;
  /** Inside a large append's MULTI only: the check's verdict, for the script after the HSETs. */
  verdict: string;
}

/** Suffixes of a table's keys, for scripts that build them from a prefix and a name. */
export const TABLE_KEY_SUFFIXES = ["rows", "order", "seq", "ops"] as const;

/** Version of this layout, stored in each project's marker; a newer one is refused. */
export const LAYOUT_VERSION = 1;
