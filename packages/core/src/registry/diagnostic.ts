import type { BackendKind } from "../definition.js";

/** Where discovering or loading a backend failed. */
export type DiagnosticPhase = "manifest" | "resolve" | "load" | "definition" | "contract" | "duplicate";

/** A problem with one installed backend. Shown by `themis backends list`; thrown when that backend is used. */
export interface Diagnostic {
  /** The backend name, when the manifest got far enough to say it. */
  backend?: string;
  kind?: BackendKind;
  package: string;
  version?: string;
  /** The package folder or file involved. */
  path: string;
  phase: DiagnosticPhase;
  message: string;
  cause?: unknown;
}
