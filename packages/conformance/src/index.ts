export { storageSuite, tableStoreSuite, type TableStoreSuiteOptions } from "./storage/suite.js";
export { STORAGE_AREAS, type StorageArea, type StorageOracle, type StorageSuiteOptions, type StorageCapabilities } from "./storage/options.js";
export { executionSuite } from "./execution/suite.js";
export { EXECUTION_AREAS, type ExecutionArea, type ExecutionSuiteOptions, type ExecutionCapabilities } from "./execution/options.js";
export { freePort, requireService } from "./service.js";
export { type ServiceLease, shareService } from "./shared-service.js";
export { startSilentServer, type SilentServer } from "./silent-server.js";
export { postprocessSuite, samplePostprocessRows, type PostprocessSuiteContext, type PostprocessSuiteOptions } from "./postprocess.js";
