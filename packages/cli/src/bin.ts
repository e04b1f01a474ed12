#!/usr/bin/env node
import { exitQuietlyOnClosedPipe } from "./closed-pipe.js";
import { main } from "./main.js";

exitQuietlyOnClosedPipe(process.stdout);
exitQuietlyOnClosedPipe(process.stderr);
process.exitCode = await main(process.argv.slice(2));
