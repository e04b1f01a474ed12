import { connectEngine, engineError, statusOf } from "./engine.js";
import { BACKEND_NAME, LABELS } from "./labels.js";

/** Which leftover containers {@link removeLeftoverContainers} removes. */
export interface LeftoverFilter {
  /** Engine address; default: $DOCKER_HOST, else the local socket. */
  host?: string;
  /** Only containers of this executor (its `id`); default: every Themis container. */
  executorId?: string;
}

/**
 * Find containers Themis created (label `themis.backend=docker`) and remove them, running
 * or not: what a crashed process (or `removeContainer: false`) left behind.
 *
 * @returns the ids of the removed containers.
 */
export async function removeLeftoverContainers(filter: LeftoverFilter = {}): Promise<string[]> {
  const connection = connectEngine(filter.host);
  const label = [`${LABELS.backend}=${BACKEND_NAME}`];
  if (filter.executorId !== undefined) label.push(`${LABELS.executor}=${filter.executorId}`);
  let found: Array<{ Id: string }>;
  try {
    found = await connection.docker.listContainers({ all: true, filters: { label } });
  } catch (error) {
    throw engineError(error, "listing containers", connection.address);
  }
  const removed: string[] = [];
  for (const { Id } of found) {
    try {
      await connection.docker.getContainer(Id).remove({ force: true, v: true });
      removed.push(Id);
    } catch (error) {
      if (statusOf(error) !== 404 && statusOf(error) !== 409) throw engineError(error, `removing container ${Id}`, connection.address);
    }
  }
  return removed;
}
