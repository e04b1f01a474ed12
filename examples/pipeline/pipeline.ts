// clean (function, local) -> score (module, local worker threads) -> label (joins clean and
// score, sequential). Run: npx themis pipeline run pipeline.ts
import type { StoredRow } from "@themis/core";
import { definePipeline, moduleTask, stage } from "@themis/pipeline";

interface Review {
  text: string;
  expected: string;
  [key: string]: string;
}

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

const score = stage({
  from: clean,
  execution: "local",
  concurrency: 4,
  task: moduleTask<{ positive: number; negative: number }>({
    module: new URL("./tasks.ts", import.meta.url).href,
    export: "score",
    input: (c) => ({ words: c.words }),
  }),
});

const label = stage({
  from: { clean, score },
  execution: "sequential",
  parameters: { threshold: 0 },
  task: ({ clean, score }) => {
    const label = score.positive - score.negative > 0 ? "positive" : "negative";
    return { label, correct: label === clean.expected };
  },
});

export default definePipeline({ name: "reviews", stages: { clean, score, label } });
