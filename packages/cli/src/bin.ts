#!/usr/bin/env node
import { enableCompileCache } from "node:module";

// Node keeps the compiled code of the CLI and its dependencies on disk (in the OS temp
// folder): a later start skips compiling them again. Called before the CLI's own modules are
// imported, so they are cached too (static imports would load them first).
enableCompileCache?.();

const { exitQuietlyOnClosedPipe } = await import("./closed-pipe.js");
const { main } = await import("./main.js");

exitQuietlyOnClosedPipe(process.stdout);
exitQuietlyOnClosedPipe(process.stderr);
process.exitCode = await main(process.argv.slice(2));
// The command is done and its output written. A handle a backend left open after a
// deadline (a socket to a server that never answers) must not keep the process alive.
setTimeout(() => process.exit(), 2_000).unref();
