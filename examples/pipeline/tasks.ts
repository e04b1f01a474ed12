// The "score" stage's task: a module export, so it runs in the local executor's worker
// threads (and could run in a container or on a remote worker unchanged). Its cache key
// includes this file's sha256: edit it and the score and label stages recompute.
const POSITIVE = ["great", "love", "good", "excellent", "perfectly", "fast"];
const NEGATIVE = ["terrible", "awful", "worst", "bad", "poor", "broke", "never"];

export function score(input: { words: string[] }): { positive: number; negative: number } {
  return {
    positive: input.words.filter((w) => POSITIVE.includes(w)).length,
    negative: input.words.filter((w) => NEGATIVE.includes(w)).length,
  };
}
