/** The registry name of this backend: the key under "themisBackends" in package.json. */
export const BACKEND_NAME = "jsonl";
