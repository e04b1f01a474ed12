import { ConflictError, type StoredRow } from "@themis/core";
import { BACKEND_NAME } from "./config.js";
import { parseRow } from "./segment-format.js";
import { ObjectGone } from "./table-reader.js";

/**
 * Rows parsed from batches of lines that `open` starts streaming on the first `next()`.
 * A hand-written iterator: rows already fetched are handed out without the extra awaits an
 * async generator spends on every yield.
 */
export function rowStream(open: () => Promise<AsyncIterator<string[]>>, label: string): AsyncIterableIterator<StoredRow> {
  let batches: AsyncIterator<string[]> | undefined;
  let buffer: string[] = [];
  let index = 0;
  let finished = false;
  const refill = async (): Promise<IteratorResult<StoredRow>> => {
    try {
      batches ??= await open();
      for (;;) {
        const next = await batches.next();
        if (next.done) {
          finished = true;
          return { value: undefined, done: true };
        }
        if (next.value.length > 0) {
          buffer = next.value;
          index = 1;
          return { value: parseRow(buffer[0]!, label), done: false };
        }
      }
    } catch (error) {
      finished = true;
      if (error instanceof ObjectGone) {
        throw new ConflictError(`${label}: a compaction deleted what this stream was reading (it outlived gracePeriodMs); read again`, {
          backend: BACKEND_NAME,
          cause: error,
        });
      }
      throw error;
    }
  };
  return {
    next(): Promise<IteratorResult<StoredRow>> {
      if (index < buffer.length) {
        try {
          return Promise.resolve({ value: parseRow(buffer[index++]!, label), done: false });
        } catch (error) {
          return Promise.reject(error);
        }
      }
      if (finished) return Promise.resolve({ value: undefined, done: true });
      return refill();
    },
    async return(): Promise<IteratorResult<StoredRow>> {
      finished = true;
      buffer = [];
      await batches?.return?.(undefined);
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
