// Local, Docker and S3 in one pipeline:
//   clean  (a function, local executor)
//   count  (a command in a container: the "docker" executor runs `wc -w` in a busybox image)
//   label  (joins clean and count, sequential executor), whose results are then archived to
//          S3 (the "archive" postprocessor) and summarised ("summary").
// The project's own storage is local/csv (themis.config.yaml). Docker and S3 settings come
// from the environment, so the same file runs on a laptop and in CI:
//   DOCKER_HOST, THEMIS_EXAMPLE_IMAGE (an image with `wc`, e.g. busybox),
//   S3_ENDPOINT, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY.
import type { StoredRow } from "@themis/core";
import { commandTask, definePipeline, stage } from "@themis/pipeline";

interface Review {
  text: string;
  expected: string;
  [key: string]: string;
}

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name} (see examples/pipeline/README.md)`);
  return value;
};

const clean = stage({
  dataset: "reviews",
  execution: "local",
  task: (row: StoredRow<Review>) => ({
    words: row.text
      .trim()
      .toLowerCase()
      .split(/[^a-z]+/)
      .filter(Boolean),
    expected: row.expected,
  }),
});

const count = stage({
  from: clean,
  execution: "docker",
  executionConfig: { image: env("THEMIS_EXAMPLE_IMAGE"), pull: "never", network: "none" },
  concurrency: 2,
  // stdout "5\n" parsed as JSON: the stage's output is a number.
  task: commandTask<number>({ id: "wc-words@1", command: (c) => ({ argv: ["wc", "-w"], stdin: c.words.join(" "), output: "json" }) }),
});

const label = stage({
  from: { clean, count },
  execution: "sequential",
  parameters: { positive: ["great", "love", "good", "excellent", "perfectly", "fast"] },
  task: ({ clean, count }) => {
    const positive = clean.words.filter((w) => ["great", "love", "good", "excellent", "perfectly", "fast"].includes(w)).length;
    const label = positive > 0 ? "positive" : "negative";
    return { label, correct: label === clean.expected, words: count };
  },
  postprocess: [
    { use: "summary" },
    {
      use: "archive",
      config: {
        storage: "s3",
        config: {
          bucket: env("S3_BUCKET"),
          endpoint: env("S3_ENDPOINT"),
          credentials: { accessKeyId: env("S3_ACCESS_KEY_ID"), secretAccessKey: env("S3_SECRET_ACCESS_KEY") },
        },
        project: "reviews-archive",
      },
    },
  ],
});

export default definePipeline({ name: "mixed", stages: { clean, count, label } });
