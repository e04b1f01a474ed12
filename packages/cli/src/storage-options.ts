import type { Command } from "commander";
import { collectOption } from "./option-pairs.js";

/** Options of commands that read a project's storage. */
export interface StorageFlags {
  storage?: string;
  option?: Record<string, unknown>;
}

/** Add `--storage` and `--option` to a command. */
export function withStorageFlags(command: Command): Command {
  return command
    .option("-s, --storage <backend>", "storage: a backend name, a URI, or a backend config file (default: the themis config's storage)")
    .option("-O, --option <key=value>", "a storage option, overriding the config (repeatable)", collectOption);
}
