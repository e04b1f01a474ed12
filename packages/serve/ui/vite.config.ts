import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The UI is built once, at package build time, into dist/ui (the server serves it from
// memory). JSX goes to Preact's automatic runtime: no plugin needed.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../dist/ui", import.meta.url)),
    emptyOutDir: true,
    // No inline scripts or styles: the server's CSP allows only 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
    // .mjs, not .js: the repo's scripts/ensure-built.ts deletes any dist/**/*.js without a
    // matching src/**/*.ts as a stale tsc output, which a Vite bundle would look like.
    rollupOptions: { output: { entryFileNames: "assets/[name]-[hash].mjs", chunkFileNames: "assets/[name]-[hash].mjs" } },
  },
});
