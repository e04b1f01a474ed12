/**
 * When the reader of a pipe goes away (`themis datasets export qa | head`), stop the way
 * Unix tools do: quietly, without a stack trace. The exit status is the command's so far
 * (0 unless it had failed), so `set -o pipefail` scripts that read only the first lines
 * keep working. Other stream errors stay fatal.
 */
export function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
  });
}
