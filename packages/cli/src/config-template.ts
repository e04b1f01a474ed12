import { type BackendDefinition, configJsonSchema } from "@themis/core";
import { stringify } from "yaml";

type JsonSchema = Record<string, unknown>;

/** The environment variable a template suggests for a secret field. */
export function secretEnvName(backend: string, field: string): string {
  return `THEMIS_${backend}_${field}`
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/[^A-Za-z0-9]+/g, "_")
    .toUpperCase();
}

function typeOf(schema: JsonSchema): string {
  if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  const variants = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (variants) return variants.map(typeOf).join(" | ");
  const type = Array.isArray(schema.type) ? schema.type.join(" | ") : String(schema.type ?? "any");
  const range: string[] = [];
  if (schema.minimum !== undefined) range.push(`>= ${schema.minimum}`);
  if (schema.exclusiveMinimum !== undefined) range.push(`> ${schema.exclusiveMinimum}`);
  if (schema.maximum !== undefined) range.push(`<= ${schema.maximum}`);
  if (schema.exclusiveMaximum !== undefined) range.push(`< ${schema.exclusiveMaximum}`);
  if (schema.minLength !== undefined) range.push(`length >= ${schema.minLength}`);
  if (schema.pattern !== undefined) range.push(`matching /${schema.pattern}/`);
  if (type === "array" && schema.items) return `list of ${typeOf(schema.items as JsonSchema)}`;
  return range.length ? `${type} ${range.join(", ")}` : type;
}

function yamlValue(value: unknown): string {
  return stringify(value, { flow: true }).trimEnd();
}

/**
 * A backend config file for `themis backends create`: `type:` and every option, with
 * defaults filled in, descriptions as comments, required fields left for the user, and
 * secret fields as `${env:...}` references so secrets stay out of the file.
 */
export function configTemplate(definition: BackendDefinition): string {
  const schema = configJsonSchema(definition);
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  const lines: string[] = [
    `# ${definition.kind} backend "${definition.name}"${definition.description ? `: ${definition.description}` : ""}`,
    "# Check this file with: themis backends validate <file>",
    `# Use it: as "${definition.kind}:" in themis.config.yaml (indented), or --${definition.kind} <file>`,
    `type: ${definition.name}`,
  ];
  for (const [field, prop] of Object.entries(props)) {
    lines.push("");
    if (typeof prop.description === "string") for (const d of prop.description.split("\n")) lines.push(`# ${d}`);
    const notes = [typeOf(prop)];
    const isRequired = required.has(field) && prop.default === undefined;
    if (isRequired) notes.push("required");
    if (prop.secret === true) notes.push("secret: keep it in the environment");
    lines.push(`# ${notes.join("; ")}`);
    if (prop.secret === true) lines.push(`${isRequired ? "" : "# "}${field}: \${env:${secretEnvName(definition.name, field)}}`);
    else if (prop.default !== undefined) lines.push(`${field}: ${yamlValue(prop.default)}`);
    else if (isRequired) lines.push(`${field}:`);
    else lines.push(`# ${field}:`);
  }
  return `${lines.join("\n")}\n`;
}

/** The same template as JSON: `type` and every default (no comments in JSON). */
export function configTemplateJson(definition: BackendDefinition): Record<string, unknown> {
  const schema = configJsonSchema(definition);
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required ?? []) as string[]);
  const out: Record<string, unknown> = { type: definition.name };
  for (const [field, prop] of Object.entries(props)) {
    if (prop.secret === true) out[field] = `\${env:${secretEnvName(definition.name, field)}}`;
    else if (prop.default !== undefined) out[field] = prop.default;
    else if (required.has(field)) out[field] = null;
  }
  return out;
}
