/** Throw the first error of a MULTI/pipeline reply, or return the results. */
export function results(replies: [Error | null, unknown][] | null): unknown[] {
  if (!replies) throw new Error("Transaction discarded");
  return replies.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
