// Owned by the execution work (issue 3): the execution conformance suite.
export interface ExecutionSuiteOptions {
  name: string;
}
export function executionSuite(_options: ExecutionSuiteOptions): void {
  throw new Error("executionSuite is not written yet");
}
