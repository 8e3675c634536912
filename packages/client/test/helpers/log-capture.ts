import { Writable } from 'node:stream';
import { pino } from 'pino';

/** A real pino logger whose JSON lines stay in memory, so tests can search them for planted secrets. */
export function captureLogs() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(line);
      done();
    },
  });
  const logger = pino({ level: 'debug' }, destination);
  return { logger, lines, text: () => lines.join('\n') };
}
