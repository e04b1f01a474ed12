#!/usr/bin/env node
import { exitQuietlyOnClosedPipe } from "./closed-pipe.js";
import { main } from "./main.js";

exitQuietlyOnClosedPipe(process.stdout);
exitQuietlyOnClosedPipe(process.stderr);
process.exitCode = await main(process.argv.slice(2));
// The command is done and its output written. A handle a backend left open after a
// deadline (a socket to a server that never answers) must not keep the process alive.
setTimeout(() => process.exit(), 2_000).unref();
