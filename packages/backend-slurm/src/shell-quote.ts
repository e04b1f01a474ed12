/**
 * One POSIX shell word for any string: single-quoted, with each `'` written as `'\''`.
 * Inside single quotes a POSIX shell expands nothing ($, `, \, newlines are literal), so
 * the word reaches the program exactly as given: this is what keeps argv, paths and
 * environment values out of the shell's hands in a generated batch script.
 */
export function shellWord(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
