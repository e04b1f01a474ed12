// One of several processes appending to one table (run by concurrency.test.ts).
// argv: url, keyPrefix, project, worker number, rows, lanes. Each lane appends its share
// one row at a time, in order; the parent checks that nothing was lost or duplicated.
import { Project, parseBackendConfig } from "@themis/core";
import { redisBackend } from "../../src/index.js";

const [url, keyPrefix, projectName, worker, rowCount, laneCount] = process.argv.slice(2);
const rows = Number(rowCount);
const lanes = Number(laneCount);
const storage = await redisBackend.create(parseBackendConfig(redisBackend, { url, keyPrefix }));
const project = await Project.open(projectName!, storage);
const table = await project.getDataset("shared");
await Promise.all(
  Array.from({ length: lanes }, async (_, lane) => {
    for (let i = lane; i < rows; i += lanes) await table.append({ worker: Number(worker), lane, i });
  }),
);
await project.close();
await storage.close();
