/** The image jobs run in, and what it took to have it. */
export interface PreparedImage {
  /** Image reference used for every container. */
  readonly image: string;
  /** True when this executor pulled it. */
  readonly pulled: boolean;
  /** True when this executor built it (false when a build with the same content hash existed). */
  readonly built: boolean;
  /** For Dockerfile builds: the hash of Dockerfile + build args + context that tags the image. */
  readonly contentHash?: string;
}
