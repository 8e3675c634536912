import { PortcullisError, isPortcullisError } from '../lib/errors.js';
import type { CliErrorCode, ErrorCode } from '../lib/errors.js';

/** A failure of the command line itself, reported on stderr. */
export class CliError extends PortcullisError<CliErrorCode> {
  override readonly name = 'CliError';
  constructor(message: string, code: CliErrorCode = 'admin_call_failed') {
    super(code, message);
  }
}

/**
 * The one table from error codes to exit codes (docs/operations.md): 2 for input the operator must
 * fix (a configuration, a flag, a file that is in the way), 3 for a broken audit log, 1 for anything
 * else. Errors commander itself raises keep commander's exit code.
 */
const EXIT_CODES: Partial<Record<ErrorCode, number>> = {
  invalid_config: 2,
  usage: 2,
  file_exists: 2,
  port_unavailable: 2,
  audit_broken: 3,
  scan_failed: 2,
};

export function exitCodeFor(error: unknown): number {
  return isPortcullisError(error) ? (EXIT_CODES[error.code] ?? 1) : 1;
}
