import { Writable } from 'node:stream';
import { createLogger } from '../../src/observe/logger.js';
import type { Logger } from '../../src/observe/logger.js';

/** A real pino logger whose JSON lines are kept in memory, so tests can grep them for planted secrets. */
export function captureLogs(level = 'debug'): { logger: Logger; lines: string[]; text: () => string } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(line);
      done();
    },
  });
  const logger = createLogger({ level, destination });
  return { logger, lines, text: () => lines.join('\n') };
}
