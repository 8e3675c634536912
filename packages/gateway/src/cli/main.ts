import { Command, CommanderError } from 'commander';
import { registerAdminCommands } from './admin-commands.js';
import { exitCodeFor } from './cli-error.js';
import { registerCheckCommand } from './check-command.js';
import { registerIncidentCommand } from './incident-command.js';
import { registerScanCommand } from './scan-command.js';
import { registerServerCommands } from './server-commands.js';

/** Builds the `portcullis` command. Thin: it starts the server or calls the admin API. */
export function buildProgram(): Command {
  const program = new Command('portcullis')
    .description('Portcullis: an API security gateway')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  registerServerCommands(program);
  registerAdminCommands(program);
  registerScanCommand(program);
  registerIncidentCommand(program);
  registerCheckCommand(program);
  return program;
}

/** Runs the command line; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    const message = error instanceof Error ? error.message : String(error);
    if (message) process.stderr.write(`portcullis: ${message}\n`);
    return exitCodeFor(error);
  }
}
