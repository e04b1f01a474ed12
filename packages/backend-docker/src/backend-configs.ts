import type { DockerConfigInput } from "./config.js";

// Types the config of "docker" wherever core takes one by backend name, e.g.
// `Project.create("p", "docker", { … })`: a misspelt field or a wrong type is a compile error.
declare module "@themis/core" {
  interface BackendConfigs {
    docker: DockerConfigInput;
  }
}
