import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { CONFIG_TEMPLATE } from '../config/template.js';
import { CliError } from './cli-error.js';

// The server is imported when a server command runs, so admin commands start fast.

/** Resolves on the first SIGTERM or SIGINT (Ctrl-C). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((done) => {
    process.once('SIGTERM', () => done('SIGTERM'));
    process.once('SIGINT', () => done('SIGINT'));
  });
}

export function registerServerCommands(program: Command): void {
  program
    .command('start')
    .description('start the gateway (production entry point)')
    .option('-c, --config <file>', 'configuration file', './portcullis.yaml')
    .action(async (options: { config: string }) => {
      const config = loadConfig(options.config);
      // The embedded store's thread and WebAssembly get going while the rest of the gateway loads.
      if (!config.database) (await import('../store/embedded.js')).prepareEmbeddedStore();
      const { workerCount, runPrimary, reportReady, untilStopRequested } = await import('../server/workers.js');
      const cluster = (await import('node:cluster')).default;
      const { createLogger } = await import('../observe/logger.js');
      const count = workerCount(config.workers);
      if (count > 1 && cluster.isPrimary) {
        // The primary only forks and supervises: every request is served by a worker (server/workers.ts).
        const logger = createLogger({ level: config.log.level });
        const primary = await runPrimary({ count, logger, drainTimeout: config.drainTimeout });
        const signal = await untilSignal();
        logger.info({ signal }, 'draining every worker');
        await primary.stop();
        logger.flush();
        return;
      }
      const rootLogger = createLogger({ level: config.log.level });
      // A worker's lines say which worker wrote them: they share the primary's stdout.
      const logger = cluster.isWorker ? rootLogger.child({ worker: Number(process.env.PORTCULLIS_WORKER) }) : rootLogger;
      // Ports bound and the store opening before the rest of the gateway loads: the two overlap.
      const { beginStart } = await import('../server/early-start.js');
      const begun = await beginStart({ config, logger, env: process.env });
      const { startGateway } = await import('../server/gateway.js').catch(async (error: unknown) => {
        await begun.abort();
        throw error;
      });
      // One setup link, from the first worker: every link made replaces the one before.
      const consoleSetup = !cluster.isWorker || process.env.PORTCULLIS_WORKER === '1';
      const gateway = await startGateway({ config, consoleSetup, logger, begun });
      if (cluster.isWorker) reportReady(gateway.url);
      // On the terminal only, never in the log: the link signs its holder in as the owner once.
      if (gateway.console.setupUrl) process.stderr.write(consoleSetupMessage(gateway.console.setupUrl));
      const signal = cluster.isWorker ? await untilStopRequested() : await untilSignal();
      gateway.logger.info({ signal }, 'draining');
      await gateway.stop();
    });

  program
    .command('init')
    .description('write a commented portcullis.yaml to start from')
    .option('-c, --config <file>', 'where to write it', './portcullis.yaml')
    .option('--force', 'overwrite an existing file')
    .action((options: { config: string; force?: boolean }) => {
      const path = resolve(options.config);
      if (existsSync(path) && !options.force) {
        throw new CliError(`${path} already exists; pass --force to overwrite it`, 'file_exists');
      }
      writeFileSync(path, CONFIG_TEMPLATE, { mode: 0o644 });
      process.stdout.write(`wrote ${path}\n`);
    });

  program
    .command('demo')
    .description('run the gateway in front of a bundled sample API, on the embedded store, with a local CA')
    .option('--port <port>', 'data-plane port (0 picks a free one)', '8443')
    .option('--admin-port <port>', 'admin port (0 picks a free one)', '8444')
    .option('--data-dir <dir>', 'where the demo keeps its state, apart from the production dataDir', './.portcullis-demo')
    .action(async (options: { port: string; adminPort: string; dataDir: string }) => {
      const { runDemo } = await import('../demo/demo.js');
      const demo = await runDemo({ port: Number(options.port), adminPort: Number(options.adminPort), dataDir: options.dataDir });
      await untilSignal();
      await demo.stop();
    });
}

/** What `start` and `demo` print while no console owner has enrolled. */
export function consoleSetupMessage(url: string): string {
  return `\nSet up the console owner (one-time link, valid for a short time; open it in a browser that trusts this gateway's certificate):\n  ${url}\n\n`;
}
