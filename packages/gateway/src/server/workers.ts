import cluster from 'node:cluster';
import type { Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from '../observe/logger.js';
import { StartError } from './early-start.js';

/**
 * `workers: N | auto`: N processes serve the one data-plane (and admin) port through node:cluster. Each
 * worker is a whole gateway on the PostgreSQL store; what must be one across them already is: keys and
 * tokens revoked reach every worker's cache through the change bus (LISTEN/NOTIFY), and limits, brute-force
 * counters and nonces live in Redis. The configuration refuses workers > 1 without both (config/load.ts).
 */
export function workerCount(setting: 'auto' | number): number {
  return setting === 'auto' ? availableParallelism() : setting;
}

const READY = 'portcullis:ready';
const STOP = 'portcullis:stop';

/** In a worker: tell the primary this worker serves requests. */
export function reportReady(url: string): void {
  process.send?.({ type: READY, url });
}

/** In a worker: resolves when the primary asks it to stop, or on SIGTERM/SIGINT (Ctrl-C reaches every worker). */
export function untilStopRequested(): Promise<string> {
  return new Promise((done) => {
    process.on('message', (message: { type?: string } | undefined) => {
      if (message?.type === STOP) done('primary');
    });
    process.once('SIGTERM', () => done('SIGTERM'));
    process.once('SIGINT', () => done('SIGINT'));
  });
}

/** How long after a worker died unexpectedly its replacement is started (a crash loop stays slow). */
const RESTART_DELAY_MS = 1_000;

/** Starts one worker and resolves once it reports ready; rejects if it exits first. */
function forkWorker(index: number): Promise<Worker> {
  const worker = cluster.fork({ PORTCULLIS_WORKER: String(index) });
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type?: string } | undefined) => {
      if (message?.type !== READY) return;
      worker.off('exit', onExit);
      worker.off('message', onMessage);
      resolve(worker);
    };
    const onExit = (code: number | null, signal: string | null) => {
      worker.off('message', onMessage);
      reject(new StartError(`worker ${index} exited before it was ready (code ${code}, signal ${signal}); its error is logged above`));
    };
    worker.on('message', onMessage);
    worker.once('exit', onExit);
  });
}

/**
 * The primary: forks the workers one after another (the first runs the migrations and creates the
 * admin token and any development certificate; the others find them), replaces a worker that dies, and
 * on `stop` asks each to drain and waits for all of them.
 */
export async function runPrimary(options: { readonly count: number; readonly logger: Logger; readonly drainTimeout: number }) {
  const { count, logger } = options;
  const workers = new Map<number, Worker>();
  let stopping = false;

  function watch(index: number, worker: Worker): void {
    workers.set(index, worker);
    worker.once('exit', (code, signal) => {
      if (workers.get(index) === worker) workers.delete(index);
      if (stopping) return;
      logger.error({ worker: index, pid: worker.process.pid, code, signal }, 'a worker exited; starting a replacement');
      setTimeout(() => {
        if (stopping) return;
        forkWorker(index).then(
          (replacement) => {
            if (stopping) replacement.send({ type: STOP });
            watch(index, replacement);
            logger.info({ worker: index, pid: replacement.process.pid }, 'worker ready');
          },
          (error: Error) => logger.error({ worker: index, err: { message: error.message } }, 'could not replace a worker'),
        );
      }, RESTART_DELAY_MS).unref();
    });
  }

  async function stop(): Promise<void> {
    stopping = true;
    const exits = [...workers.values()].map(
      (worker) =>
        new Promise<void>((done) => {
          if (worker.isDead()) return done();
          const timer = setTimeout(() => worker.process.kill('SIGKILL'), options.drainTimeout + 5_000);
          worker.once('exit', () => {
            clearTimeout(timer);
            done();
          });
          if (worker.isConnected()) worker.send({ type: STOP });
          else worker.process.kill('SIGTERM');
        }),
    );
    await Promise.all(exits);
  }

  try {
    for (let index = 1; index <= count; index++) {
      const worker = await forkWorker(index);
      watch(index, worker);
      logger.info({ worker: index, pid: worker.process.pid }, 'worker ready');
    }
  } catch (error) {
    await stop();
    throw error;
  }
  logger.info({ workers: count }, 'all workers ready');
  return { stop };
}
