import { requireService, storageSuite } from "@themis/conformance";
import { boxBackend } from "../src/index.js";
import { box, createBox, oracle } from "./helpers.js";

const reachable = await fetch(`${box.baseUrl}/2.0/folders/0`, { headers: { authorization: `Bearer ${box.token}` } }).then(
  (r) => r.ok,
  () => false,
);
const available = requireService("Box API (stand-in server)", reachable, `nothing answers at ${box.baseUrl} (THEMIS_BOX_URL / THEMIS_BOX_TOKEN)`);

// Every behaviour the storage contract asks for, against the real SDK talking HTTP to the
// stand-in server; the oracle reads the stored CSV files back over the API.
storageSuite({
  name: "box/csv",
  create: () => createBox(),
  oracle: oracle(),
  skip: available ? false : "Box API not reachable",
  // What the definition declares: Box keeps one item per name in a folder whatever its case
  // (a 409 for "data" beside "Data", as the stand-in server does), and handles hold their
  // folder's or file's id, so a re-created project or table is a new item they never reach.
  capabilities: boxBackend.capabilities,
});
