// The baseline's worker process: a hand-written BullMQ Worker calling the no-op function
// in-process, as a user would write one. argv[2]: { url, queue, concurrency, module }.
import { Worker } from "bullmq";

const { url, queue, concurrency, module } = JSON.parse(process.argv[2]);
const { noop } = await import(module);
const worker = new Worker(queue, async (job) => noop(job.data), { connection: { url, maxRetriesPerRequest: null }, concurrency });
await worker.waitUntilReady();
process.stdout.write("ready\n");
process.on("SIGTERM", () => void worker.close().then(() => process.exit(0)));
