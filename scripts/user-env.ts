/**
 * The environment of a user's shell: without the npm_config_* / pnpm variables that pnpm
 * exports to the scripts it runs (they would change what npm does in another folder), and
 * with npm's chatter (audit, fund, update notices) off.
 */
export function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_|pnpm_|PNPM_)/i.test(key)) env[key] = value;
  }
  return { ...env, npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false", npm_config_loglevel: "error" };
}
