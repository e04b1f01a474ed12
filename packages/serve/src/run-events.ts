import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { RunRecord } from "@themis/core";
import { errorResponse } from "./http-error.js";

/** How often a live view re-reads the run record (the runner writes it; we only read). */
export const DEFAULT_POLL_MS = 500;

/**
 * Server-Sent Events for one run: a `run` event with the record now, then each time it
 * changes, polled every `pollMs`. Ends after the run leaves `running` (or the client goes).
 */
export function runEvents(c: Context, read: () => Promise<RunRecord>, pollMs: number = DEFAULT_POLL_MS): Response {
  return streamSSE(c, async (stream) => {
    let closed = false;
    stream.onAbort(() => {
      closed = true;
    });
    let last = "";
    while (!closed) {
      let record: RunRecord;
      try {
        record = await read();
      } catch (error) {
        await stream.writeSSE({ event: "error", data: JSON.stringify(errorResponse(error).body.error) });
        return;
      }
      const text = JSON.stringify(record);
      if (text !== last) {
        last = text;
        await stream.writeSSE({ event: "run", data: text });
      }
      if (record.status !== "running") return;
      await stream.sleep(pollMs);
    }
  });
}
