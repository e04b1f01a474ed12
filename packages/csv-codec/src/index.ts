/**
 * The CSV encoding shared by Themis' CSV storage backends ("local/csv", "box/csv"): exact
 * JSON round-trip in cells a spreadsheet shows as plain values. See the README for the
 * encoding rules.
 *
 * @packageDocumentation
 */
export { STRING_MARKER, decodeCell, decodeHeaderCell, encodeCell, encodeHeaderCell, startsLikeFormula } from "./cell.js";
export { headerFor } from "./header.js";
export { RecordDecoder, encodeRecord, type RecordDecoderOptions, type RecordParseIssue } from "./record.js";
export { quoteCell, serializeRows, type SerializeOptions } from "./serialize.js";
export { PAPA_PARSE_CONFIG, detectNewline, parseCsv, type ParseOptions, type ParsedCsv } from "./parse.js";
export { parseCsvStream, type StreamParseOptions } from "./stream.js";
export { CsvFormatError, type CsvProblem } from "./format-error.js";
