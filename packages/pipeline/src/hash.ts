import { hash } from "node:crypto";
import { moduleCodeHash } from "@themis/core";
import type { StageTask } from "./stage.js";

/** sha256 of the parts, separated so that ("ab","c") and ("a","bc") differ; 32 hex chars. */
export function hashOf(...parts: string[]): string {
  return hashText(parts.join("\u0000"));
}

/** sha256 of a text, 32 hex chars: {@link hashOf} of parts already joined. */
export function hashText(text: string): string {
  // One-shot hash: several times faster than createHash() for the short inputs of a row key.
  return hash("sha256", text).slice(0, 32);
}

/**
 * The hash of the code a stage runs: the resolved module file's bytes for a module task
 * (core's `moduleCodeHash`, so a missing module fails here, before anything runs), the
 * source text of a function or of a command builder. `version` pins it by hand instead.
 */
// biome-ignore lint/suspicious/noExplicitAny: a task of any stage: its types do not matter to the hash
export function stageCodeHash(task: StageTask<any, any>, version?: string): string {
  if (version !== undefined) return hashOf("version", version);
  if (typeof task === "function") return hashOf("function", task.toString());
  switch (task.kind) {
    case "function":
      return hashOf("function", task.id ?? task.fn.toString());
    case "module":
      return hashOf("module", moduleCodeHash(task.module, task.resolveFrom), task.export ?? "default", task.input?.toString() ?? "");
    case "command":
      return hashOf("command", task.id ?? task.command.toString());
  }
}
