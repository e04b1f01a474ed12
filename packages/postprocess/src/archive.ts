import { type Experiment, type PostprocessInput, Project, type StoredRow, ThemisError, definePostprocessor, hasErrorCode, redactUrls } from "@themis/core";
import { z } from "zod";
import { report, throwIfAborted } from "./report.js";

/** Config of the "archive" postprocessor. */
export const archiveConfigSchema = z.strictObject({
  /** The storage backend to copy to: a name ("s3", "local/csv") or a URI ("s3://bucket/prefix"). */
  storage: z.string().min(1),
  /** That backend's config (validated by its schema). Secret: never shown. */
  config: z.record(z.string(), z.unknown()).default({}).meta({ secret: true }),
  /** Project to copy into (created when missing). Default: the source project's name. */
  project: z.string().min(1).optional(),
  /** Experiment to copy into (created when missing). Default: the source experiment's name. */
  experiment: z.string().min(1).optional(),
  /** Rows per append. */
  batchSize: z.number().int().min(1).max(100_000).default(1000),
});
export type ArchiveConfig = z.infer<typeof archiveConfigSchema>;

async function openTarget(project: Project, name: string): Promise<Experiment> {
  try {
    return await project.getExperiment(name);
  } catch (error) {
    if (!hasErrorCode(error, "ERR_THEMIS_NOT_FOUND")) throw error;
    try {
      return await project.createExperiment(name);
    } catch (createError) {
      // Another archive created it since: use theirs.
      if (!hasErrorCode(createError, "ERR_THEMIS_ALREADY_EXISTS")) throw createError;
      return project.getExperiment(name);
    }
  }
}

/** Ids the target already holds: an archive run again copies only what is missing. */
async function idsOf(table: Experiment): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const row of table.entries()) ids.add(row._row_id);
  return ids;
}

async function archive(config: ArchiveConfig, input: PostprocessInput) {
  const projectName = config.project ?? input.project.name;
  const experiment = config.experiment ?? input.experiment;
  const where = `${redactUrls(config.storage)}: ${projectName}/${experiment}`;
  const target = await Project.openOrCreate(projectName, config.storage, config.config).catch((cause: unknown) => {
    throw new ThemisError("ERR_THEMIS_UNAVAILABLE", `archive: cannot open ${where}`, { backend: "archive", cause });
  });
  try {
    const table = await openTarget(target, experiment);
    const existing = await idsOf(table);
    let rows = 0;
    let copied = 0;
    let batch: StoredRow[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length > 0) await table.appendMany(batch);
      copied += batch.length;
      batch = [];
    };
    for await (const row of input.rows) {
      throwIfAborted(input.signal, "archive");
      rows++;
      if (existing.has(row._row_id)) continue;
      existing.add(row._row_id);
      batch.push(row);
      if (batch.length >= config.batchSize) await flush();
    }
    await flush();
    const message = `copied ${copied} of ${rows} rows to ${where}${rows > copied ? ` (${rows - copied} were there already)` : ""}`;
    return report("archive", {
      message,
      rows,
      artifacts: [where],
      data: { storage: redactUrls(config.storage), project: projectName, experiment, copied, skipped: rows - copied },
    });
  } finally {
    await target.close();
  }
}

/**
 * "archive": copy an experiment's results (or one run's) to another storage backend,
 * e.g. local/csv to s3. Rows keep their ids; running it again copies only the rows the
 * target lacks, so an interrupted archive is finished by running it again (and an archive
 * onto the experiment itself copies nothing).
 */
export const archivePostprocessor = definePostprocessor({
  name: "archive",
  description: "copy results to another storage backend (e.g. local/csv -> s3)",
  configSchema: archiveConfigSchema,
  create: (config: ArchiveConfig) => ({ name: "archive", run: (input: PostprocessInput) => archive(config, input) }),
});

export default archivePostprocessor;
