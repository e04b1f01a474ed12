import { CorruptDataError } from "@themis/core";

/** What is wrong with a CSV file; stable values for code that wants to react to one. */
export type CsvProblem =
  | "torn-line"
  | "unclosed-quote"
  | "malformed-quote"
  | "too-many-cells"
  | "too-few-cells"
  | "missing-row-id"
  | "duplicate-row-id"
  | "bad-header";

/**
 * A CSV file that cannot be read back as written. A {@link CorruptDataError} (code
 * `ERR_THEMIS_CORRUPT_DATA`) that also says where: the file or URL (`source`) and the
 * 1-based line on which the bad record starts.
 */
export class CsvFormatError extends CorruptDataError {
  readonly source: string;
  readonly line: number;
  readonly problem: CsvProblem;

  constructor(problem: CsvProblem, source: string, line: number, detail: string, options: { backend?: string | undefined; cause?: unknown } = {}) {
    super(`${source}, line ${line}: ${detail}`, options);
    this.source = source;
    this.line = line;
    this.problem = problem;
  }
}
