/**
 * `@themis/backend-bullmq`: the "bullmq" execution backend. Submitters (`map`,
 * `runExperiment`) queue module and command jobs on BullMQ (Redis); `themis worker`
 * processes on any number of machines run them with the local executor.
 *
 * @packageDocumentation
 */
export { bullmqBackend, bullmqBackend as default } from "./definition.js";
export { BullmqExecutor } from "./bullmq-executor.js";
export { DEFAULT_MAX_PAYLOAD_BYTES, bullmqConfigSchema, type BullmqConfig, type BullmqConfigInput } from "./config.js";
export { BACKEND_NAME, CodeMismatchError, PayloadTooLargeError } from "./errors.js";
export { startWorker, type BullmqWorker, type StartWorkerOptions, type WorkerEvent } from "./worker.js";
