/** One packed package, as the global setup hands it to the tests. */
export interface PackedTarball {
  name: string;
  version: string;
  /** Never published (the third-party example): publish-only metadata is not required. */
  private: boolean;
  /** Absolute path of the .tgz file. */
  tarball: string;
}

/** What the global setup provides to every e2e test file. */
export interface E2eContext {
  /** Scratch folder of this run, outside the workspace; removed at the end. */
  work: string;
  packages: PackedTarball[];
  /** Every workspace package name → whether a release publishes it. */
  published: Record<string, boolean>;
}

declare module "vitest" {
  export interface ProvidedContext {
    e2e: E2eContext;
  }
}
