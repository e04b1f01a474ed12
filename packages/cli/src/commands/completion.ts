import { Argument, type Command } from "commander";
import type { Action } from "../action.js";
import { EXIT_OK } from "../exit-codes.js";

/** Every command path ("" is the program) with the words that may follow it. */
function commandWords(command: Command, path: string, out: Map<string, string[]>): Map<string, string[]> {
  const options = command.options.flatMap((o) => [o.short, o.long].filter((f): f is string => !!f));
  const subcommands = command.commands.flatMap((c) => [c.name(), ...c.aliases()]);
  out.set(path, [...subcommands, ...options, "--help"]);
  for (const sub of command.commands) commandWords(sub, path ? `${path} ${sub.name()}` : sub.name(), out);
  return out;
}

const quote = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;

/**
 * A bash completion script generated from the command tree: subcommands and options at each
 * level (words that are not subcommands, such as option values, are skipped while walking),
 * files otherwise. zsh runs the same script through bashcompinit.
 */
export function bashCompletion(program: Command): string {
  const words = commandWords(program, "", new Map());
  const cases = [...words].map(([path, list]) => `    ${quote(path)}) words=${quote(list.join(" "))} ;;`).join("\n");
  return `# themis completion (bash). Load it: eval "$(themis completion bash)", or save it as
# ~/.local/share/bash-completion/completions/themis
_themis_completion() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" next words i
  for ((i = 1; i < COMP_CWORD; i++)); do
    next="\${path:+$path }\${COMP_WORDS[i]}"
    _themis_words "$next" && path="$next"
  done
  _themis_words "$path" || words=""
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
_themis_words() {
  case "$1" in
${cases}
    *) return 1 ;;
  esac
}
complete -o default -F _themis_completion themis
`;
}

/** `themis completion bash|zsh`: print a shell completion script. */
export function completionCommand(program: Command, action: Action): void {
  program
    .command("completion")
    .description("print a completion script for bash or zsh (eval it, or save it where your shell loads completions)")
    .addArgument(new Argument("<shell>", "bash or zsh").choices(["bash", "zsh"]))
    .action(
      action(async (ctx, shell: "bash" | "zsh") => {
        const script = bashCompletion(program);
        ctx.out.streams.stdout.write(
          shell === "zsh"
            ? `# themis completion (zsh): eval "$(themis completion zsh)" in ~/.zshrc\nautoload -U +X bashcompinit && bashcompinit\n${script}`
            : script,
        );
        return EXIT_OK;
      }),
    );
}
