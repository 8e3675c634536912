import { Command, CommanderError } from 'commander';
import { registerAdminTokenCommands } from './admin-token-commands.js';
import { registerAuditCommands } from './audit-commands.js';
import { CliError, exitCodeFor } from './cli-error.js';
import { registerCompletionCommand } from './completion.js';
import { registerConsumerCommands } from './consumer-commands.js';
import { registerKeyCommands } from './key-commands.js';
import { registerCheckCommand } from './check-command.js';
import { registerIncidentCommand } from './incident-command.js';
import { registerScanCommand } from './scan-command.js';
import { registerOAuthCommands } from './oauth-commands.js';
import { registerServerCommands } from './server-commands.js';
import { registerSigningCommands } from './signing-commands.js';

export const VERSION = '0.1.0';

/** Builds the `portcullis` command. Thin: it starts the server or calls the admin API. */
export function buildProgram(): Command {
  const program = new Command('portcullis')
    .description('Portcullis: an API security gateway')
    .version(VERSION)
    .exitOverride()
    .helpCommand(false)
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  registerServerCommands(program);
  registerConsumerCommands(program);
  registerKeyCommands(program);
  registerOAuthCommands(program);
  registerSigningCommands(program);
  registerAuditCommands(program);
  registerAdminTokenCommands(program);
  registerScanCommand(program);
  registerIncidentCommand(program);
  registerCheckCommand(program);
  registerCompletionCommand(program);
  registerHelpCommand(program);
  return program;
}

/** `portcullis help keys create` shows the help of `create`, however deep (commander's own stops at one level). */
function registerHelpCommand(program: Command): void {
  program
    .command('help')
    .description('show the help of a command, such as `portcullis help keys create`')
    .argument('[command...]', 'the command, with its subcommands')
    .action((names: string[]) => {
      let command: Command = program;
      for (const name of names) {
        const next = command.commands.find((c) => c.name() === name || c.aliases().includes(name));
        if (!next) throw new CliError(`no command "${[...names.slice(0, names.indexOf(name)), name].join(' ')}"; see \`portcullis help${command === program ? '' : ` ${command.name()}`}\``, 'usage');
        command = next;
      }
      command.outputHelp();
    });
}

/** Runs the command line; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv]);
    return 0;
  } catch (error) {
    // A flag value the command refuses (--grace 1y) is input to fix: 2, like a bad configuration.
    if (error instanceof CommanderError) return error.code === 'commander.invalidArgument' ? 2 : error.exitCode;
    const message = error instanceof Error ? error.message : String(error);
    if (message) process.stderr.write(`portcullis: ${message}\n`);
    return exitCodeFor(error);
  }
}
