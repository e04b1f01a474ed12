import { CorruptDataError } from "@themis/core";
import { BACKEND_NAME } from "./names.js";

/**
 * Pass a file's bytes through, failing on the first byte sequence that is not UTF-8.
 * A rewrite decodes every row and encodes it again: an invalid byte (a file saved in
 * Latin-1, a hand edit) would come back as U+FFFD in rows the rewrite never meant to
 * touch. Refusing keeps the file as it is.
 */
export async function* validUtf8(chunks: AsyncIterable<Buffer>, file: string): AsyncGenerator<Buffer> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let offset = 0;
  const check = (chunk?: Buffer): void => {
    try {
      if (chunk) decoder.decode(chunk, { stream: true });
      else decoder.decode();
    } catch (cause) {
      throw new CorruptDataError(
        `${file} holds bytes that are not valid UTF-8 (in the ${chunk?.length ?? 0} bytes from offset ${offset}): rewriting it (update, delete, or a batch with a new column) would replace them with U+FFFD in rows it does not touch, so nothing was changed. Convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8) and retry.`,
        { backend: BACKEND_NAME, cause },
      );
    }
  };
  for await (const chunk of chunks) {
    check(chunk);
    offset += chunk.length;
    yield chunk;
  }
  check();
}
