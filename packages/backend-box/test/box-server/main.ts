// Run the stand-in Box server on its own, e.g. to point tests (THEMIS_BOX_URL) or a demo at it:
//   node packages/backend-box/test/box-server/main.ts [--port 8123] [--token dev-token]
import { parseArgs } from "node:util";
import { startBoxServer } from "./server.ts";

const { values } = parseArgs({ options: { port: { type: "string", default: "0" }, token: { type: "string", default: "themis-dev-token" } } });
const server = await startBoxServer({ port: Number(values.port), tokens: [values.token] });
console.log(JSON.stringify({ baseUrl: server.baseUrl, uploadUrl: server.uploadUrl, oauth2Url: server.oauth2Url }));
const stop = (): void => void server.close().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
