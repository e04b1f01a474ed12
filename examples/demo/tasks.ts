/**
 * The "model" the demo evaluates: a tiny arithmetic evaluator (numbers, + - * /,
 * parentheses). Async like a real model call, and it honours the AbortSignal like one
 * should. Exported so the same task runs in-process (index.ts) and through the CLI:
 * `npx themis run ./tasks.ts#solve --dataset arithmetic --experiment arithmetic-cli`.
 */
export async function solve(
  row: { question: string; expected: string },
  context: { signal?: AbortSignal } = {},
): Promise<{ answer: string; correct: boolean }> {
  await new Promise((resolve) => setTimeout(resolve, 5));
  context.signal?.throwIfAborted();
  const answer = String(evaluate(row.question));
  return { answer, correct: answer === row.expected };
}

/** Evaluate an arithmetic expression by recursive descent (no eval). */
export function evaluate(expression: string): number {
  const tokens = expression.match(/\d+(?:\.\d+)?|[-+*/()]/g) ?? [];
  let i = 0;
  const primary = (): number => {
    const t = tokens[i++];
    if (t === "(") {
      const v = sum();
      i++; // ")"
      return v;
    }
    if (t === "-") return -primary();
    return Number(t);
  };
  const product = (): number => {
    let v = primary();
    while (tokens[i] === "*" || tokens[i] === "/") v = tokens[i++] === "*" ? v * primary() : v / primary();
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (tokens[i] === "+" || tokens[i] === "-") v = tokens[i++] === "+" ? v + product() : v - product();
    return v;
  };
  return sum();
}
