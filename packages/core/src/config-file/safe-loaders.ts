import { load } from "js-yaml";

/**
 * Config files are small; a larger one is a mistake or an attack (and would be read
 * into memory whole).
 */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * YAML aliases (`*ref`) per config file. Each alias shares a node, and walking the
 * document (env substitution, validation, printing) visits it once per alias: nine
 * levels of nine aliases are a billion nodes from 300 bytes (the "billion laughs").
 */
export const MAX_YAML_ALIASES = 100;

/**
 * Values in a config once aliases are expanded. A few aliases can still nest (9 levels
 * of 9 aliases each is only 81 of them): the expanded size is what the walks pay for.
 */
export const MAX_CONFIG_VALUES = 100_000;

/** A parse error whose message never quotes the file (a secret may sit near the mistake). */
class ConfigSyntaxError extends Error {
  constructor(format: "YAML" | "JSON", reason: string, where: string) {
    super(`${format} syntax error: ${reason}${where}`);
    this.name = "ConfigSyntaxError";
  }
}

/** How deeply a config may nest: real ones use a handful of levels; walks recurse per level. */
export const MAX_CONFIG_DEPTH = 64;

/**
 * `doc`, unless walking it (every alias expanded) would visit more than
 * {@link MAX_CONFIG_VALUES} values or go deeper than {@link MAX_CONFIG_DEPTH} levels.
 */
function checkShape(format: "YAML" | "JSON", doc: unknown): unknown {
  let budget = MAX_CONFIG_VALUES;
  const stack: [unknown, number][] = [[doc, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (--budget < 0) throw new ConfigSyntaxError(format, `more than ${MAX_CONFIG_VALUES} values once aliases are expanded (an alias bomb?)`, "");
    if (v === null || typeof v !== "object") continue;
    if (depth >= MAX_CONFIG_DEPTH) throw new ConfigSyntaxError(format, `nested deeper than ${MAX_CONFIG_DEPTH} levels`, "");
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return doc;
}

function checkSize(content: string): void {
  const bytes = Buffer.byteLength(content, "utf8");
  if (bytes > MAX_CONFIG_BYTES) throw new Error(`config file is ${bytes} bytes, more than the ${MAX_CONFIG_BYTES} a config may have`);
}

/**
 * cosmiconfig loader for YAML (and `.themisrc` without extension): aliases capped, and a
 * syntax error names the line and column but never shows the source lines around it
 * (js-yaml's message does, and they may hold a secret).
 */
export function loadYamlSafely(_file: string, content: string): unknown {
  checkSize(content);
  try {
    return checkShape("YAML", load(content, { maxAliases: MAX_YAML_ALIASES }));
  } catch (error) {
    if (error instanceof ConfigSyntaxError) throw error;
    const e = error as { reason?: unknown; mark?: { line?: number; column?: number } };
    const reason = typeof e.reason === "string" ? e.reason : "not valid YAML";
    const where = e.mark?.line !== undefined ? ` (line ${e.mark.line + 1}, column ${(e.mark.column ?? 0) + 1})` : "";
    throw new ConfigSyntaxError("YAML", reason, where);
  }
}

/**
 * cosmiconfig loader for JSON: V8's JSON.parse message quotes the text around the
 * mistake; keep only where it is.
 */
export function loadJsonSafely(_file: string, content: string): unknown {
  checkSize(content);
  let doc: unknown;
  try {
    doc = JSON.parse(content);
  } catch (error) {
    const text = String((error as Error)?.message);
    const position = /position (\d+)/.exec(text)?.[1];
    const where = position === undefined ? "" : ` (${lineColumn(content, Number(position))})`;
    throw new ConfigSyntaxError("JSON", "not valid JSON", where);
  }
  return checkShape("JSON", doc);
}

function lineColumn(content: string, position: number): string {
  const before = content.slice(0, position);
  const line = before.split("\n").length;
  return `line ${line}, column ${position - before.lastIndexOf("\n")}`;
}
