import type { S3ConfigInput } from "./config.js";

// Types the config of "s3" wherever core takes one by backend name, e.g.
// `Project.create("p", "s3", { … })`: a misspelt field or a wrong type is a compile error.
declare module "@themis/core" {
  interface BackendConfigs {
    s3: S3ConfigInput;
  }
}
