import type { LocalCsvOptions } from "./config.js";

// Types the config of "local/csv" wherever core takes one by backend name, e.g.
// `Project.create("p", "local/csv", { rootDir: "./data" })`: a misspelt field or a wrong
// type is a compile error.
declare module "@themis/core" {
  interface BackendConfigs {
    "local/csv": LocalCsvOptions;
  }
}
