import { Argument, type Command } from 'commander';

/**
 * Lists, for each command path such as "tessera" or "tessera accounts list", the words that may
 * follow it: subcommands for a group, option names for a leaf command. Paths start with the
 * program name because bash rejects an empty key in an associative array.
 */
function completionTable(program: Command): Map<string, string[]> {
  const table = new Map<string, string[]>();
  const visit = (command: Command, path: string) => {
    const children = command.commands.filter((child) => child.name() !== 'help');
    const options = command.options.map((option) => option.long).filter((name): name is string => name !== undefined);
    table.set(path, [...children.map((child) => child.name()), ...options, '--help']);
    for (const child of children) visit(child, `${path} ${child.name()}`);
  };
  visit(program, program.name());
  return table;
}

function entries(table: Map<string, string[]>): string {
  return [...table].map(([path, words]) => `  ["${path}"]="${words.join(' ')}"`).join('\n');
}

function bashScript(table: Map<string, string[]>): string {
  return `# bash completion for tessera; load it with: source <(tessera completion bash)
declare -A _tessera_words=(
${entries(table)}
)

_tessera() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path=tessera next i
  # The command path is the words that name known subcommands; arguments and options are skipped.
  for ((i = 1; i < COMP_CWORD; i++)); do
    next="$path \${COMP_WORDS[i]}"
    [[ -n "\${_tessera_words[$next]+set}" ]] && path="$next"
  done
  COMPREPLY=($(compgen -W "\${_tessera_words[$path]}" -- "$cur"))
}
complete -F _tessera tessera
`;
}

function zshScript(table: Map<string, string[]>): string {
  return `#compdef tessera
# zsh completion for tessera; load it with: source <(tessera completion zsh)
typeset -gA _tessera_words
_tessera_words=(
${entries(table)}
)

_tessera() {
  local path_=tessera next i
  # The command path is the words that name known subcommands; arguments and options are skipped.
  for ((i = 2; i < CURRENT; i++)); do
    next="$path_ \${words[i]}"
    (( \${+_tessera_words[$next]} )) && path_="$next"
  done
  compadd -- \${=_tessera_words[$path_]}
}
compdef _tessera tessera
`;
}

export function registerCompletionCommand(program: Command): void {
  program
    .command('completion')
    .description('Print a shell completion script for bash or zsh.')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices(['bash', 'zsh']))
    .action((shell: string) => {
      const table = completionTable(program);
      process.stdout.write(shell === 'bash' ? bashScript(table) : zshScript(table));
    });
}
