import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { type Command, Option } from "commander";
import {
  type BackendInfo,
  type Diagnostic,
  configJsonSchema,
  printableBackend,
  printableConfig,
  readConfigFile,
  resolveBackendConfig,
  resolveConfig,
} from "@themis/core";
import { configTemplate, configTemplateJson } from "../config-template.js";
import { EXIT_FAILED, EXIT_OK } from "../exit-codes.js";
import { formatTable, printable } from "../format-table.js";
import type { Output } from "../output.js";
import type { Action } from "../action.js";
import { stringify } from "yaml";

function packageLabel(b: BackendInfo): string {
  if (b.source === "builtin") return "(built-in)";
  if (b.source === "registered") return "(registered)";
  return `${b.package ?? "?"}@${b.version ?? "?"}`;
}

function printList(out: Output, list: readonly BackendInfo[], problems: readonly Diagnostic[]): void {
  out.line(
    formatTable(
      ["NAME", "KIND", "PACKAGE", "SCHEMES", "STATUS", "DESCRIPTION"],
      list.map((b) => [b.name, b.kind, packageLabel(b), b.schemes.join(", ") || "-", b.status, b.description ?? ""]),
      { maxCellWidth: 60 },
    ),
  );
  if (problems.length === 0) return;
  out.line("");
  out.line(`${problems.length} problem${problems.length === 1 ? "" : "s"}:`);
  for (const d of problems) {
    out.line(`  ✗ ${d.backend ?? "?"} (${d.package}@${d.version ?? "?"}) [${d.phase}] ${printable(d.message.replace(/^\[themis\] /, ""))}`);
    out.line(`    at ${d.path}`);
  }
}

/** `themis backends ...`: what is installed, config files for it, and their schemas. */
export function backendsCommand(program: Command, action: Action): void {
  const backends = program.command("backends").description("list installed backends, validate configs, print schemas and config templates");

  backends
    .command("list")
    .description('every backend found: built-in, and installed packages with a "themisBackends" manifest; exits 1 when one fails to load')
    .action(
      action(async (ctx) => {
        const registry = await ctx.registry();
        const list = await registry.list({ load: true });
        const loose = registry.diagnostics().filter((d) => !list.some((b) => b.diagnostics.includes(d)));
        const problems = [...list.flatMap((b) => b.diagnostics), ...loose];
        if (ctx.out.json) {
          ctx.out.data({
            backends: list.map((b) => ({ ...b, diagnostics: b.diagnostics.map(({ cause: _cause, ...d }) => d) })),
            diagnostics: loose.map(({ cause: _cause, ...d }) => d),
          });
        } else {
          printList(ctx.out, list, problems);
        }
        if (problems.length === 0) return EXIT_OK;
        // Scripts (CI, `themis backends list && deploy`) must see a broken install.
        const packages = [...new Set(problems.map((d) => d.package))];
        ctx.out.note(`[themis] ${packages.length} installed package${packages.length === 1 ? "" : "s"} with a problem: ${packages.join(", ")}`);
        return EXIT_FAILED;
      }),
    );

  backends
    .command("validate")
    .description('check a backend config file (with "type:") or a whole themis config; lists every problem')
    .argument("<file>", 'YAML, JSON or JS config file, or a package.json with a "themis" key')
    .action(
      action(async (ctx, file: string) => {
        const doc = await readConfigFile(path.resolve(ctx.cwd, file));
        const registry = await ctx.registry();
        const isBackendFile = typeof doc.raw === "object" && doc.raw !== null && "type" in doc.raw;
        if (isBackendFile) {
          const backend = await resolveBackendConfig(doc.raw, { file: doc.file, registry });
          ctx.out.addSecrets(backend.secretValues);
          const config = printableBackend(backend);
          ctx.out.data({ valid: true, file: doc.file, document: "backend", kind: backend.kind, backend: backend.definition.name, config });
          ctx.out.line(`✓ ${file}: valid ${backend.kind} backend config for "${backend.definition.name}"`);
          ctx.out.line(stringify(config).trimEnd().replace(/^/gm, "  "));
        } else {
          const config = await resolveConfig(doc.raw, { file: doc.file });
          ctx.out.addSecrets(config.secretValues);
          const printable = printableConfig(config);
          ctx.out.data({ valid: true, file: doc.file, document: "themis", config: printable });
          ctx.out.line(`✓ ${file}: valid themis config`);
          ctx.out.line(stringify(printable).trimEnd().replace(/^/gm, "  "));
        }
        return EXIT_OK;
      }),
    );

  backends
    .command("schema")
    .description('JSON Schema (draft 2020-12) of a backend config file: "type" plus the backend\'s options')
    .argument("<name>", "backend name, e.g. local/csv")
    .action(
      action(async (ctx, name: string) => {
        const definition = await (await ctx.registry()).get(name);
        const schema = configJsonSchema(definition);
        const properties = { type: { const: definition.name, description: `The backend: "${definition.name}"` }, ...((schema.properties ?? {}) as object) };
        const required = ["type", ...((schema.required ?? []) as string[])];
        const out = {
          ...schema,
          title: `themis ${definition.kind} backend "${definition.name}"`,
          ...(definition.description ? { description: definition.description } : {}),
          properties,
          required,
        };
        // Always JSON: it is a schema either way.
        ctx.out.streams.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return EXIT_OK;
      }),
    );

  backends
    .command("create")
    .description("write a config template for a backend: defaults filled in, fields described in comments")
    .argument("<name>", "backend name, e.g. local/csv")
    .option("-o, --output <file>", "write to this file instead of stdout")
    .addOption(new Option("--format <format>", "template format").choices(["yaml", "json"]).default("yaml"))
    .option("--force", "overwrite --output if it exists")
    .action(
      action(async (ctx, name: string, options: { output?: string; format: "yaml" | "json"; force?: boolean }) => {
        const definition = await (await ctx.registry()).get(name);
        const text = options.format === "json" ? `${JSON.stringify(configTemplateJson(definition), null, 2)}\n` : configTemplate(definition);
        if (!options.output) {
          if (ctx.out.json) ctx.out.data({ backend: definition.name, kind: definition.kind, format: options.format, template: text });
          else ctx.out.streams.stdout.write(text);
          return EXIT_OK;
        }
        const file = path.resolve(ctx.cwd, options.output);
        if (existsSync(file) && !options.force) {
          ctx.out.error(new Error(`${options.output} exists: pass --force to overwrite it`));
          return EXIT_FAILED;
        }
        await writeFile(file, text);
        ctx.out.data({ backend: definition.name, kind: definition.kind, format: options.format, file });
        ctx.out.line(
          `wrote ${options.output}: a ${definition.kind} config for "${definition.name}". Fill it in, then: themis backends validate ${options.output}`,
        );
        return EXIT_OK;
      }),
    );
}
