/**
 * Execution backend contract. Placeholder until the execution issue lands: an execution
 * backend has a name and the job kinds it supports.
 */
export type JobKind = "function" | "module" | "command";

export interface ExecutionBackend {
  readonly name: string;
  readonly kinds: readonly JobKind[];
  close(): Promise<void>;
}
