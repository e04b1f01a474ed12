import type { SlurmConfigInput } from "./config.js";

// Types the config of "slurm" wherever core takes one by backend name, e.g.
// `Project.create("p", "slurm", { … })`: a misspelt field or a wrong type is a compile error.
declare module "@themis/core" {
  interface BackendConfigs {
    slurm: SlurmConfigInput;
  }
}
