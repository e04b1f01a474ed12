import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// The same UI for static exports (`themis serve --export DIR`), opened from disk: Chromium
// and Firefox refuse module scripts on file:// (null origin), so this build is one classic
// script (IIFE) and one stylesheet, with fixed names the exporter copies beside the data.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  define: { "process.env.NODE_ENV": JSON.stringify("production") },
  build: {
    outDir: fileURLToPath(new URL("../dist/ui-export", import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    minify: true,
    reportCompressedSize: true,
    // .mjs for scripts/ensure-built.ts (see vite.config.ts); the exporter writes it as app.js.
    lib: { entry: fileURLToPath(new URL("src/main.tsx", import.meta.url)), formats: ["iife"], name: "themis", fileName: () => "app.mjs", cssFileName: "app" },
  },
});
