import { ThemisError, redactUrls, scrub } from "@themis/core";
import { UsageError } from "./exit-codes.js";

/** Where a command writes; tests pass their own streams. */
export interface OutputStreams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/**
 * Everything a command prints goes through here: human text or `--json`, and every
 * message scrubbed of the secret values the loaded config holds (a last line of defence
 * for errors that quote a connection string).
 */
export class Output {
  readonly json: boolean;
  readonly streams: OutputStreams;
  #secrets: string[] = [];

  constructor(streams: OutputStreams, json: boolean) {
    this.streams = streams;
    this.json = json;
  }

  /** Values never to print (secret config fields, URI passwords). */
  addSecrets(values: readonly string[]): void {
    this.#secrets.push(...values);
  }

  #clean(text: string): string {
    return scrub(text, this.#secrets) as string;
  }

  /** A line for humans on stdout (ignored in --json mode). */
  line(text = ""): void {
    if (!this.json) this.streams.stdout.write(`${this.#clean(text)}\n`);
  }

  /** A note for humans on stderr (progress, warnings); kept out of stdout so pipes stay clean. */
  note(text: string): void {
    this.streams.stderr.write(`${this.#clean(text)}\n`);
  }

  /** The machine-readable result in --json mode. */
  data(value: unknown): void {
    if (this.json) this.streams.stdout.write(`${JSON.stringify(scrub(value, this.#secrets), null, 2)}\n`);
  }

  /** Print an error: `{ "error": {...} }` on stdout in --json mode, a message on stderr otherwise. */
  error(error: unknown): void {
    const e = error as Partial<ThemisError> & { issues?: unknown; file?: unknown };
    if (this.json) {
      const body = {
        error: {
          code: typeof e?.code === "string" ? e.code : error instanceof UsageError ? error.code : "ERR_THEMIS_INTERNAL",
          message: redactUrls(error instanceof Error ? error.message : String(error)),
          ...(e?.issues ? { issues: e.issues } : {}),
          ...(typeof e?.file === "string" ? { file: e.file } : {}),
          ...(typeof e?.backend === "string" ? { backend: e.backend } : {}),
        },
      };
      this.streams.stdout.write(`${JSON.stringify(scrub(body, this.#secrets), null, 2)}\n`);
      return;
    }
    // Client libraries quote connection strings in their errors: mask credentials in URLs
    // even when they are not among the config's known secrets. (Only errors: data is printed as stored.)
    const message = redactUrls(error instanceof Error ? error.message : String(error));
    this.streams.stderr.write(`${this.#clean(message.startsWith("[themis]") ? message : `[themis] ${message}`)}\n`);
    if (!(error instanceof ThemisError) && !(error instanceof UsageError) && error instanceof Error && process.env.THEMIS_DEBUG && error.stack) {
      this.streams.stderr.write(`${this.#clean(error.stack)}\n`);
    }
  }
}
