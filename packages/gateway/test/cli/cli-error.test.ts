import { describe, expect, it } from 'vitest';
import { CliError, exitCodeFor } from '../../src/cli/cli-error.js';
import { ConfigError } from '../../src/config/load.js';
import { KeyringError } from '../../src/crypto/errors.js';

describe('exit codes (cli/cli-error.ts, docs/operations.md#exit-codes)', () => {
  it('maps input to fix to 2, a broken audit log to 3, and everything else to 1', () => {
    expect(exitCodeFor(new ConfigError('x', ['y']))).toBe(2);
    expect(exitCodeFor(new CliError('exists', 'file_exists'))).toBe(2);
    expect(exitCodeFor(new CliError('--grace: not a duration', 'usage'))).toBe(2);
    expect(exitCodeFor(new CliError('', 'audit_broken'))).toBe(3);
    expect(exitCodeFor(new CliError('unreachable'))).toBe(1);
    expect(exitCodeFor(new KeyringError('master_key_invalid', 'bad key'))).toBe(1);
    expect(exitCodeFor(new Error('anything'))).toBe(1);
    expect(exitCodeFor('not even an error')).toBe(1);
  });
});
