// Whether the browser tests can run: Chromium installed, or a loud skip (a failure in CI).
import { existsSync } from "node:fs";
import { requireService } from "@themis/conformance";
import { CHROMIUM } from "./chromium.js";

export { CHROMIUM, launchBrowser } from "./chromium.js";

/** True when Chromium is installed; a loud skip otherwise, a failure in CI. */
export const chromiumAvailable = requireService(
  "chromium",
  existsSync(CHROMIUM),
  `${CHROMIUM} not found (apt-get install -y --no-install-recommends chromium)`,
);
