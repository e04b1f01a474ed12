import { ConflictError } from "../errors.js";
import { ROW_ID } from "../rows.js";
import type { Table } from "../storage/table.js";
import { BLOCK_ROWS, blockClaimIdPrefix, rowClaimIdPrefix } from "./claim-ids.js";

/** The latest claim of a block (or of a row, in the per-row form): its generation and the run holding it. */
export interface ClaimHolder {
  generation: number;
  runId: string;
}

/** What a resumed run reads from the claims table before its first claim. */
export interface ClaimHolders {
  /** Block index -> its latest claim, for this resume key. */
  blocks: Map<number, ClaimHolder>;
  /** Dataset row id -> its latest per-row claim (the format before block claims), for rows not done. */
  rows: Map<string, ClaimHolder>;
}

/** Keep the claim with the highest generation. */
function keepLatest<K>(map: Map<K, ClaimHolder>, key: K, generation: number, runId: string): void {
  const known = map.get(key);
  if (!known || generation > known.generation) map.set(key, { generation, runId });
}

/**
 * The latest claim of every block, and of every row not in `done` claimed by the older
 * per-row form, for this resume key: one pass over the claims table, so that a resumed run
 * settles conflicts without a `get` per claim. Memory: one entry per block ever claimed
 * (1/{@link BLOCK_ROWS} of the rows: ~156k entries at 10M rows) and per older row claim not done.
 */
export async function claimHolders(claims: Table, experiment: string, key: string, done: { has(id: string): boolean }): Promise<ClaimHolders> {
  const holders: ClaimHolders = { blocks: new Map(), rows: new Map() };
  for await (const row of claims.entries()) {
    const id = row[ROW_ID];
    // The table also holds claims of other resume keys, and of @themis/pipeline's stages ("p-").
    // Releases (see `blockReleaseId`) are looked up by id when a block is found held.
    if (id.startsWith("b-") && typeof row.block === "number" && row.released !== true) {
      const prefix = blockClaimIdPrefix(experiment, key, row.block);
      if (!id.startsWith(prefix)) continue;
      if (row.block_rows !== BLOCK_ROWS) {
        throw new ConflictError(
          `experiment "${experiment}" has claims of blocks of ${String(row.block_rows)} rows, made by another version of @themis/core (this one uses ${BLOCK_ROWS}): resume it with that version`,
        );
      }
      keepLatest(holders.blocks, row.block, Number(id.slice(prefix.length)), String(row.run_id));
    } else if (id.startsWith("c-") && typeof row.dataset_row_id === "string" && !done.has(row.dataset_row_id)) {
      const prefix = rowClaimIdPrefix(experiment, row.dataset_row_id, key);
      if (!id.startsWith(prefix)) continue;
      keepLatest(holders.rows, row.dataset_row_id, Number(id.slice(prefix.length)), String(row.run_id));
    }
  }
  return holders;
}
