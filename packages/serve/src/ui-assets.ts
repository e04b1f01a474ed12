import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** One file of the prebuilt UI, held in memory (the whole UI is a few tens of kB). */
export interface Asset {
  body: Uint8Array;
  type: string;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

/**
 * Where `vite build` put the UI: `dist/ui`, beside this module once compiled (or next to
 * `src/` when this module runs from source, as in the package's own tests).
 */
export const UI_DIR = fileURLToPath(new URL(import.meta.url.endsWith(".ts") ? "../dist/ui/" : "./ui/", import.meta.url));

/**
 * Every file of the built UI by URL path (`/index.html`, `/assets/...`). Only these paths
 * are ever served: no path from a request reaches the file system.
 */
export async function loadAssets(dir: string = UI_DIR): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  const files = await listFiles(dir).catch((error: unknown) => {
    throw new Error(`the UI is not built (${dir} is missing): run the package's build`, { cause: error });
  });
  for (const file of files) {
    const urlPath = `/${path.relative(dir, file).split(path.sep).join("/")}`;
    assets.set(urlPath, { body: await readFile(file), type: TYPES[path.extname(file)] ?? "application/octet-stream" });
  }
  if (!assets.has("/index.html")) throw new Error(`the UI is not built (${dir}index.html is missing): run the package's build`);
  return assets;
}

/** Every file under `dir`, recursively. */
export async function listFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(full)));
    else if (entry.isFile()) files.push(full);
  }
  return files;
}
