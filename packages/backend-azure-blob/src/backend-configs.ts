import type { AzureConfigInput } from "./config.js";

// Types the config of "azure-blob" wherever core takes one by backend name, e.g.
// `Project.create("p", "azure-blob", { … })`: a misspelt field or a wrong type is a compile error.
declare module "@themis/core" {
  interface BackendConfigs {
    "azure-blob": AzureConfigInput;
  }
}
