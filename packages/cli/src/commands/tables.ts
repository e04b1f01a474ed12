import path from "node:path";
import { type Command, Option } from "commander";
import { type Project, ROW_ID, type StoredRow, type TableKind } from "@themis/core";
import type { Action } from "../action.js";
import { EXIT_OK } from "../exit-codes.js";
import { EXPORT_FORMATS, type ExportFormat, exportToFile, writeRows } from "../export-table.js";
import { cellText, formatTable } from "../format-table.js";
import { type StorageFlags, withStorageFlags } from "../storage-options.js";
import { parsePositiveInt } from "../parse-int.js";
import { openProject } from "../open-project.js";
import { tableDataCommands } from "./table-data.js";

const plural = (kind: TableKind): string => (kind === "dataset" ? "datasets" : "experiments");

function table(project: Project, kind: TableKind, name: string) {
  return kind === "dataset" ? project.getDataset(name) : project.getExperiment(name);
}

/** `themis datasets ...` and `themis experiments ...`: list, show and export tables. */
export function tablesCommand(program: Command, action: Action, kind: TableKind): void {
  const group = program
    .command(plural(kind))
    .description(kind === "dataset" ? "create, import, list, show, export and delete datasets" : "list, show, export and delete experiments");
  tableDataCommands(group, action, kind);

  withStorageFlags(
    group
      .command("ls")
      .alias("list")
      .description(`names of the project's ${plural(kind)}`)
      .argument("[project]", "project name (default: the themis config's project)"),
  ).action(
    action(async (ctx, projectName: string | undefined, flags: StorageFlags) => {
      const project = await openProject(ctx, projectName, flags);
      const names = kind === "dataset" ? await project.listDatasets() : await project.listExperiments();
      ctx.out.data(names);
      if (names.length === 0) ctx.out.note(`no ${plural(kind)} in project "${project.name}"`);
      for (const n of names) ctx.out.line(n);
      return EXIT_OK;
    }),
  );

  withStorageFlags(
    group
      .command("show")
      .description(`the first rows of a ${kind} as a table`)
      .argument("<name>", `${kind} name`)
      .option("-p, --project <project>", "project name (default: the themis config's project)")
      .option("-n, --limit <rows>", "rows to show", parsePositiveInt, 20),
  ).action(
    action(async (ctx, name: string, flags: StorageFlags & { project?: string; limit: number }) => {
      const project = await openProject(ctx, flags.project, flags);
      const rows: StoredRow[] = [];
      let more = false;
      for await (const row of await table(project, kind, name)) {
        if (rows.length === flags.limit) {
          more = true;
          break;
        }
        rows.push(row);
      }
      ctx.out.data({ project: project.name, [kind]: name, rows, more });
      if (ctx.out.json) return EXIT_OK;
      const columns = [ROW_ID, ...new Set(rows.flatMap((r) => Object.keys(r).filter((k) => k !== ROW_ID)))];
      ctx.out.line(
        formatTable(
          columns,
          rows.map((r) => columns.map((c) => cellText((r as Record<string, unknown>)[c]))),
        ),
      );
      ctx.out.line(`${rows.length} row${rows.length === 1 ? "" : "s"}${more ? ` shown (more: --limit N, or export)` : ""}`);
      return EXIT_OK;
    }),
  );

  withStorageFlags(
    group
      .command("export")
      .description(`every row of a ${kind}, as CSV or JSON Lines`)
      .argument("<name>", `${kind} name`)
      .option("-p, --project <project>", "project name (default: the themis config's project)")
      .addOption(new Option("-f, --format <format>", "csv (nested values as JSON text) or jsonl (exact)").choices(EXPORT_FORMATS))
      .option("-o, --output <file>", "write to this file (atomically) instead of stdout")
      .option("--keep-formulas", "csv: write cells starting with = + - @ as they are (default: prefixed with ' so a spreadsheet runs no formula)"),
  ).action(
    action(async (ctx, name: string, flags: StorageFlags & { project?: string; format?: ExportFormat; output?: string; keepFormulas?: boolean }) => {
      const format = flags.format ?? (flags.output?.toLowerCase().endsWith(".csv") ? "csv" : "jsonl");
      const project = await openProject(ctx, flags.project, flags);
      const source = await table(project, kind, name);
      const rows = () => source.entries();
      if (!flags.output) {
        await writeRows(rows, format, ctx.out.streams.stdout, { keepFormulas: flags.keepFormulas === true });
        return EXIT_OK;
      }
      const file = path.resolve(ctx.cwd, flags.output);
      const count = await exportToFile(rows, format, file, { keepFormulas: flags.keepFormulas === true });
      ctx.out.data({ project: project.name, [kind]: name, format, file, rows: count });
      ctx.out.note(`exported ${count} row${count === 1 ? "" : "s"} of ${kind} "${name}" to ${flags.output} (${format})`);
      return EXIT_OK;
    }),
  );
}
