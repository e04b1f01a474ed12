import { mkdtemp, rm } from "node:fs/promises";
import { createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { type Command, Option } from "commander";
import type { TableKind } from "@themis/core";
import type { Action } from "../action.js";
import type { CommandContext } from "../context.js";
import { EXIT_OK, UsageError } from "../exit-codes.js";
import { type ColumnType, parseTypesFlag, readSchemaFile } from "../import/column-types.js";
import { importFile } from "../import/import-table.js";
import { IMPORT_FORMATS, type ImportFormat } from "../import/read-rows.js";
import { openProject } from "../open-project.js";
import { parsePositiveInt } from "../parse-int.js";
import { progressBar } from "../progress.js";
import { type StorageFlags, withStorageFlags } from "../storage-options.js";

interface ImportFlags extends StorageFlags {
  project?: string;
  format?: ImportFormat;
  types?: Map<string, ColumnType>;
  schema?: string;
  skipBad?: boolean;
  append?: boolean;
  batchSize: number;
}

const PROJECT_FLAG = ["-p, --project <project>", "project name (default: the themis config's project)"] as const;

function formatOf(file: string, given: ImportFormat | undefined): ImportFormat {
  if (given) return given;
  if (/\.csv$/i.test(file)) return "csv";
  if (/\.(jsonl|ndjson)$/i.test(file)) return "jsonl";
  throw new UsageError(`cannot tell the format of "${file}" from its name: pass --format csv or --format jsonl`);
}

// stdin ("-") is read twice (check, then import): spooled to a private temp file first.
async function withInputFile<T>(ctx: CommandContext, file: string, use: (file: string) => Promise<T>): Promise<T> {
  if (file !== "-") return use(path.resolve(ctx.cwd, file));
  const dir = await mkdtemp(path.join(tmpdir(), "themis-import-"));
  try {
    const spooled = path.join(dir, "stdin");
    await pipeline(process.stdin, createWriteStream(spooled, { mode: 0o600 }));
    return await use(spooled);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Progress of both passes: a bar on a terminal, a line per tenth of the file otherwise. */
function importProgress(ctx: CommandContext): { update: (phase: "check" | "import", bytes: number, total: number) => void; stop: () => void } {
  const bar = progressBar(ctx.out, "{phase} |{bar}| {percentage}% | {value}/{total} bytes");
  let lastTenth = -1;
  let lastPhase = "";
  return {
    update(phase, bytes, total) {
      if (bar) return bar.update(bytes, total, { phase: phase === "check" ? "checking " : "importing" });
      if (ctx.out.json) return;
      const tenth = total === 0 ? 10 : Math.floor((bytes / total) * 10);
      if (phase === lastPhase && tenth === lastTenth) return;
      [lastPhase, lastTenth] = [phase, tenth];
      ctx.out.note(`${phase === "check" ? "checking" : "importing"}: ${tenth * 10}% (${bytes} of ${total} bytes)`);
    },
    stop: () => bar?.stop(),
  };
}

function addImport(group: Command, action: Action): void {
  withStorageFlags(
    group
      .command("import")
      .description("add the rows of a CSV or JSON Lines file (or - for stdin) to a dataset, all or nothing")
      .argument("<name>", "dataset name (created, with the project, when missing)")
      .argument("<file>", "a .csv, .jsonl or .ndjson file, or - for stdin (then --format)")
      .option(...PROJECT_FLAG)
      .addOption(new Option("-f, --format <format>", "input format (default: from the file name)").choices(IMPORT_FORMATS))
      .option("-t, --types <column=type,...>", "declare column types: string, number, integer, boolean, json (repeatable)", parseTypesFlag)
      .option("--schema <file>", "a YAML or JSON file { column: type } (--types wins)")
      .option("--skip-bad", "skip bad records (their lines are reported) instead of importing nothing")
      .option("--append", "add to an existing dataset (default: the dataset must not exist)")
      .option("--batch-size <rows>", "rows per write", parsePositiveInt, 1000),
  ).action(
    action(async (ctx, name: string, file: string, flags: ImportFlags) => {
      const format = file === "-" ? (flags.format ?? formatOf("stdin", undefined)) : formatOf(file, flags.format);
      const types = new Map([...(flags.schema ? await readSchemaFile(path.resolve(ctx.cwd, flags.schema)) : []), ...(flags.types ?? [])]);
      const project = await openProject(ctx, flags.project, flags, true);
      const progress = importProgress(ctx);
      const result = await withInputFile(ctx, file, (input) =>
        importFile({
          project,
          dataset: name,
          file: input,
          format,
          types,
          skipBad: flags.skipBad === true,
          append: flags.append === true,
          batchSize: flags.batchSize,
          onProgress: progress.update,
        }),
      ).finally(() => progress.stop());
      const skipped = result.skippedLines;
      ctx.out.data({ project: project.name, dataset: name, created: result.created, rows: result.rows, skipped: skipped.length, skippedLines: skipped });
      ctx.out.line(
        `imported ${result.rows} row${result.rows === 1 ? "" : "s"} into dataset "${name}" of project "${project.name}"${result.created ? " (created)" : ""}`,
      );
      if (skipped.length > 0)
        ctx.out.note(
          `skipped ${skipped.length} bad record${skipped.length === 1 ? "" : "s"}, at line${skipped.length === 1 ? "" : "s"} ${skipped.slice(0, 20).join(", ")}${skipped.length > 20 ? ", …" : ""}`,
        );
      return EXIT_OK;
    }),
  );
}

/** `datasets create|import|delete` and `experiments delete`: the commands that change data. */
export function tableDataCommands(group: Command, action: Action, kind: TableKind): void {
  if (kind === "dataset") {
    withStorageFlags(
      group
        .command("create")
        .description("create an empty dataset (and the project, when missing)")
        .argument("<name>", "dataset name")
        .option(...PROJECT_FLAG),
    ).action(
      action(async (ctx, name: string, flags: StorageFlags & { project?: string }) => {
        const project = await openProject(ctx, flags.project, flags, true);
        await project.createDataset(name);
        ctx.out.data({ project: project.name, dataset: name, created: true });
        ctx.out.line(`created dataset "${name}" in project "${project.name}"`);
        return EXIT_OK;
      }),
    );
    addImport(group, action);
  }
  withStorageFlags(
    group
      .command("delete")
      .description(`delete a ${kind} and every row of it (asks for --yes)`)
      .argument("<name>", `${kind} name`)
      .option(...PROJECT_FLAG)
      .option("-y, --yes", "really delete: there is no undo"),
  ).action(
    action(async (ctx, name: string, flags: StorageFlags & { project?: string; yes?: boolean }) => {
      if (!flags.yes) throw new UsageError(`deleting ${kind} "${name}" cannot be undone: pass --yes`);
      const project = await openProject(ctx, flags.project, flags);
      await (kind === "dataset" ? project.deleteDataset(name) : project.deleteExperiment(name));
      ctx.out.data({ project: project.name, [kind]: name, deleted: true });
      ctx.out.line(`deleted ${kind} "${name}" of project "${project.name}"`);
      return EXIT_OK;
    }),
  );
}
