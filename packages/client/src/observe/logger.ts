import type { Redactor } from './redact.js';

/** The part of pino's interface the client uses: pass a pino logger (or a child) as it is. */
export interface Logger {
  debug(object: object, message?: string): void;
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
  error(object: object, message?: string): void;
}

type Level = keyof Logger;

/** Everything the client logs passes through here: redacted by name and by value before pino sees it. */
export function redactingLogger(logger: Logger | undefined, redactor: Redactor): (level: Level, object: object, message: string) => void {
  if (!logger) return () => {};
  return (level, object, message) => {
    logger[level](redactor.value(object) as object, redactor.text(message));
  };
}
