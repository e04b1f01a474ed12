import type { BoxConfigInput } from "./config.js";

// Types the config of "box/csv" wherever core takes one by backend name, e.g.
// `Project.create("p", "box/csv", { … })`: a misspelt field or a wrong type is a compile error.
declare module "@themis/core" {
  interface BackendConfigs {
    "box/csv": BoxConfigInput;
  }
}
