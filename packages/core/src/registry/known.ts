/** First-party backends and the package that provides each, for "install X" hints. */
export const KNOWN_BACKEND_PACKAGES: Readonly<Record<string, string>> = {
  "local/csv": "@themis/backend-local-csv",
  redis: "@themis/backend-redis",
  s3: "@themis/backend-s3",
  "box/csv": "@themis/backend-box",
  docker: "@themis/backend-docker",
  bullmq: "@themis/backend-bullmq",
  postgres: "@themis/backend-postgres",
  "azure-blob": "@themis/backend-azure-blob",
  slurm: "@themis/backend-slurm",
  summary: "@themis/postprocess",
  export: "@themis/postprocess",
  archive: "@themis/postprocess",
};

/** URI schemes of first-party backends, for hints when none installed accepts a URI. */
export const KNOWN_SCHEMES: Readonly<Record<string, string>> = {
  redis: "redis",
  rediss: "redis",
  unix: "redis",
  s3: "s3",
  box: "box/csv",
  postgres: "postgres",
  postgresql: "postgres",
  azure: "azure-blob",
};
