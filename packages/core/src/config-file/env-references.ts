import type { Issue } from "../errors.js";

// ${env:NAME} or ${env:NAME:-fallback}; "$${env:NAME}" is the escape for a literal "${env:NAME}".
const REFERENCE = /\$?\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const MALFORMED = /(?<!\$)\$\{env:(?![A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\})/;

/** The result of {@link substituteEnv}. */
export interface EnvSubstitution {
  /** A copy of the input with every reference replaced. */
  value: unknown;
  /** Dotted paths of the strings that held a reference, each with its text as written. */
  fromEnv: Map<string, string>;
  /** The values taken from the environment (to scrub from output: they may be secrets). */
  values: string[];
  /** Unset variables without fallback, malformed references. */
  issues: Issue[];
}

function join(path: string, key: string | number): string {
  return typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

/**
 * Replace `${env:NAME}` references in every string of a config with the environment
 * variable's value, so secrets stay out of config files. `${env:NAME:-fallback}` uses the
 * fallback when the variable is unset or empty; `$${env:NAME}` keeps the text literally.
 * An unset variable without fallback is an issue at that field's path.
 */
export function substituteEnv(input: unknown, env: NodeJS.ProcessEnv = process.env, basePath = ""): EnvSubstitution {
  const fromEnv = new Map<string, string>();
  const values: string[] = [];
  const issues: Issue[] = [];
  const walk = (value: unknown, path: string): unknown => {
    if (typeof value === "string") {
      if (!value.includes("${env:")) return value;
      if (MALFORMED.test(value)) issues.push({ path, message: 'malformed environment reference: write "${env:NAME}" (NAME: letters, digits, "_")' });
      const used: string[] = [];
      const out = value.replace(REFERENCE, (match: string, name: string, fallback: string | undefined) => {
        if (match.startsWith("$$")) return match.slice(1);
        used.push(name);
        const v = env[name];
        if (v !== undefined && v !== "") {
          values.push(v);
          return v;
        }
        if (fallback !== undefined) return fallback;
        issues.push({ path, message: `environment variable ${name} is not set (referenced as \${env:${name}})` });
        return "";
      });
      if (used.length > 0) fromEnv.set(path, value);
      return out;
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, join(path, i)));
    if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, join(path, k))]));
    }
    return value;
  };
  return { value: walk(input, basePath), fromEnv, values, issues };
}
