import type { RedisConfigInput } from "./config.js";

// Types the config of "redis" wherever core takes one by backend name, e.g.
// `Project.create("p", "redis", { … })`: a misspelt field or a wrong type is a compile error.
declare module "@themis/core" {
  interface BackendConfigs {
    redis: RedisConfigInput;
  }
}
