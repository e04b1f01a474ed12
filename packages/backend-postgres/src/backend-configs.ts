import type { PostgresConfigInput } from "./config.js";

// Types the config of "postgres" wherever core takes one by backend name, e.g.
// `Project.create("p", "postgres", { … })`: a misspelt field or a wrong type is a compile error.
declare module "@themis/core" {
  interface BackendConfigs {
    postgres: PostgresConfigInput;
  }
}
