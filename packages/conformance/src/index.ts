export { storageSuite, type StorageOracle, type StorageSuiteOptions, type StorageCapabilities } from "./storage.js";
export { executionSuite, type ExecutionSuiteOptions } from "./execution.js";
export { requireService } from "./service.js";
export { startSilentServer, type SilentServer } from "./silent-server.js";
