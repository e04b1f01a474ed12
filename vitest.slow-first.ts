// The order in which the root config hands test files to its workers.
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Files that take minutes: every job of the SLURM test cluster (one file, since some tests
 * take the cluster down), every container of the Docker conformance suite, the conformance
 * suite run against its mutants, packing and installing every package, kill -9 loops.
 * Started first, the rest of the suite runs beside them instead of after them. (Vitest orders
 * by the durations of an earlier run when its cache has them; a fresh CI clone has none, and
 * then it goes project by project, which left the SLURM file for the middle of the run.)
 */
const SLOW_FILES = [
  "backend-slurm/test/cluster.test.ts",
  "backend-docker/test/conformance.test.ts",
  "conformance/test/mutation.test.ts",
  "e2e/test/release.test.ts",
  "backend-local-csv/test/crash.test.ts",
];

/** Vitest's own order, with {@link SLOW_FILES} moved to the front (in that order). */
export class SlowFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification): number => {
      const at = SLOW_FILES.findIndex((file) => spec.moduleId.endsWith(file));
      return at === -1 ? SLOW_FILES.length : at;
    };
    return sorted
      .map((spec, at) => ({ spec, at, rank: rank(spec) }))
      .sort((a, b) => a.rank - b.rank || a.at - b.at)
      .map(({ spec }) => spec);
  }
}
