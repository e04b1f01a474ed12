// What the global setup hands the test files (through vitest's provide/inject).
import { inject } from "vitest";

export interface SlurmTestEnv {
  /** slurm.conf of the private cluster. */
  slurmConf: string;
  /** A folder for job files. */
  workDir: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    slurm: SlurmTestEnv | null;
  }
}

/** The cluster, or null when it could not start (tests then skip, loudly). */
export function slurmTestEnv(): SlurmTestEnv | null {
  return inject("slurm");
}
