import type { Command } from 'commander';
import { Argument } from 'commander';
import { CliError } from './cli-error.js';

/**
 * Shell completion, generated from the command tree itself so it cannot drift from the commands:
 * for each command path ("", "keys", "keys create") the words that may follow (subcommands and flags).
 */
function completionTable(program: Command): Map<string, string[]> {
  const table = new Map<string, string[]>();
  const walk = (command: Command, path: string[]) => {
    const words = [
      ...command.commands.map((c) => c.name()),
      ...command.options.flatMap((o) => [o.long, o.short].filter((f): f is string => Boolean(f))),
      ...(path.length > 0 ? ['--help'] : ['--help', '--version']),
    ];
    table.set(path.join(' '), words);
    for (const sub of command.commands) walk(sub, [...path, sub.name()]);
  };
  walk(program, []);
  return table;
}

const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`;

function bash(table: Map<string, string[]>): string {
  const entries = [...table].map(([path, words]) => `  [${quote(path || '_')}]=${quote(words.join(' '))}`).join('\n');
  return `# portcullis completion for bash. Load it with:  source <(portcullis completion bash)
_portcullis_completion() {
  declare -A table=(
${entries}
  )
  local cur="\${COMP_WORDS[COMP_CWORD]}" cmdpath="" word i
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    [[ "$word" == -* ]] && continue
    if [[ -n "\${table[\${cmdpath:+$cmdpath }$word]+set}" ]]; then cmdpath="\${cmdpath:+$cmdpath }$word"; fi
  done
  COMPREPLY=($(compgen -W "\${table[\${cmdpath:-_}]}" -- "$cur"))
}
complete -o default -F _portcullis_completion portcullis
`;
}

function zsh(table: Map<string, string[]>): string {
  const entries = [...table].map(([path, words]) => `    ${quote(path || '_')} ${quote(words.join(' '))}`).join('\n');
  return `#compdef portcullis
# portcullis completion for zsh. Load it with:  source <(portcullis completion zsh)
_portcullis() {
  local -A table
  table=(
${entries}
  )
  local cmdpath="" word
  for word in \${words[2,CURRENT-1]}; do
    [[ "$word" == -* ]] && continue
    if (( \${+table[\${cmdpath:+$cmdpath }$word]} )); then cmdpath="\${cmdpath:+$cmdpath }$word"; fi
  done
  compadd -- \${=table[\${cmdpath:-_}]}
  _files
}
compdef _portcullis portcullis
`;
}

function fish(program: Command): string {
  const lines = ['# portcullis completion for fish. Load it with:  portcullis completion fish | source', 'complete -c portcullis -f'];
  const walk = (command: Command, path: string[]) => {
    const subs = command.commands.map((c) => c.name());
    // The words typed so far are exactly `path`: fish's __fish_seen_subcommand_from checks one level, so check each.
    const seen = path.map((p) => `__fish_seen_subcommand_from ${p}`);
    const notYet = subs.length > 0 ? [`not __fish_seen_subcommand_from ${subs.join(' ')}`] : [];
    const condition = path.length === 0 ? '__fish_use_subcommand' : [...seen, ...notYet].join('; and ');
    for (const sub of command.commands) lines.push(`complete -c portcullis -n ${quote(condition)} -a ${sub.name()} -d ${quote(sub.description())}`);
    if (path.length > 0) {
      const here = seen.join('; and ');
      for (const o of command.options) {
        const flag = o.long ? `-l ${o.long.replace(/^--/, '')}` : '';
        const short = o.short ? ` -s ${o.short.replace(/^-/, '')}` : '';
        lines.push(`complete -c portcullis -n ${quote(here)} ${flag}${short}${o.required || o.optional ? ' -r' : ''} -d ${quote(o.description)}`);
      }
    }
    for (const sub of command.commands) walk(sub, [...path, sub.name()]);
  };
  walk(program, []);
  return `${lines.join('\n')}\n`;
}

export function registerCompletionCommand(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script: source <(portcullis completion bash)')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .action((shell: string) => {
      if (shell === 'bash') process.stdout.write(bash(completionTable(program)));
      else if (shell === 'zsh') process.stdout.write(zsh(completionTable(program)));
      else if (shell === 'fish') process.stdout.write(fish(program));
      else throw new CliError(`no completion for "${shell}": choose bash, zsh or fish`, 'usage');
    });
}
