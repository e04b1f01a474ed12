// A worker process for the tests: the built package's startWorker, config from argv[2]
// (JSON), events as JSON lines on stdout. SIGTERM: graceful stop; a second one: force.
import { startWorker } from "../../dist/index.js";

const { config, concurrency, threads, maxJobs } = JSON.parse(process.argv[2]);
const print = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
const worker = await startWorker(config, { concurrency, threads, maxJobs, onEvent: print });
let signals = 0;
const stop = () => void worker.close({ force: ++signals > 1 });
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
await worker.stopped;
process.exit(0);
