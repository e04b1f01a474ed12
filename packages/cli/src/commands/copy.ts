import type { Command } from "commander";
import { collectOption } from "../option-pairs.js";
import type { Action } from "../action.js";
import { copyProject } from "../copy-project.js";
import { EXIT_OK } from "../exit-codes.js";
import { formatTable } from "../format-table.js";
import { parsePositiveInt } from "../parse-int.js";
import { progressBar } from "../progress.js";

interface CopyFlags {
  from?: string;
  to: string;
  fromOption?: Record<string, unknown>;
  toOption?: Record<string, unknown>;
  batchSize: number;
}

/** `themis copy <project> --from ... --to ...`: stream a project between storage backends. */
export function copyCommand(program: Command, action: Action): void {
  program
    .command("copy")
    .description("copy a project (every dataset and experiment, row ids kept) between storage backends; safe to rerun")
    .argument("<project>", "project name")
    .option("--from <backend>", "source: a backend name, URI or backend config file (default: the themis config's storage)")
    .requiredOption("--to <backend>", "target: a backend name, URI or backend config file")
    .option("--from-option <key=value>", "a source option (repeatable)", collectOption)
    .option("--to-option <key=value>", "a target option (repeatable)", collectOption)
    .option("--batch-size <rows>", "rows per write", parsePositiveInt, 500)
    .action(
      action(async (ctx, project: string, flags: CopyFlags) => {
        const from = await ctx.openStorage(flags.from, flags.fromOption);
        const to = await ctx.openStorage(flags.to, flags.toOption);
        if (to.backend.name === "memory")
          ctx.out.note(
            'note: "memory" storage lives only as long as this command: the copy is gone when it exits (use copyProject() from @themis/cli in code)',
          );
        const bar = progressBar(ctx.out, "{bar} {value}/{total} tables | {table} {rows} rows");
        const abort = new AbortController();
        const onSignal = (): void => abort.abort(new Error("interrupted"));
        process.once("SIGINT", onSignal);
        try {
          const tables = await copyProject(project, from.backend, to.backend, {
            signal: abort.signal,
            batchSize: flags.batchSize,
            onProgress: (p) => bar?.update(p.tablesDone, p.tablesTotal, { table: `${p.kind} ${p.table}`, rows: p.rows }),
          });
          bar?.stop();
          const totals = tables.reduce(
            (t, x) => ({ rows: t.rows + x.rows, appended: t.appended + x.appended, updated: t.updated + x.updated, unchanged: t.unchanged + x.unchanged }),
            { rows: 0, appended: 0, updated: 0, unchanged: 0 },
          );
          ctx.out.data({ project, from: from.label, to: to.label, tables, totals });
          ctx.out.line(
            formatTable(
              ["KIND", "TABLE", "ROWS", "APPENDED", "UPDATED", "UNCHANGED"],
              tables.map((t) => [t.kind, t.name, String(t.rows), String(t.appended), String(t.updated), String(t.unchanged)]),
            ),
          );
          ctx.out.line(
            `copied project "${project}" from ${from.label} to ${to.label}: ${tables.length} tables, ${totals.rows} rows (${totals.appended} appended, ${totals.updated} updated, ${totals.unchanged} already there)`,
          );
          return EXIT_OK;
        } finally {
          bar?.stop();
          process.off("SIGINT", onSignal);
        }
      }),
    );
}
