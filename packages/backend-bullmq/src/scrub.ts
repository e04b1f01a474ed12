import { scrub } from "@themis/core";

/** `text` with every secret (password, URL with credentials) replaced, for messages built from client errors. */
export function scrubText(text: string, secrets: readonly string[]): string {
  return scrub(text, secrets) as string;
}
