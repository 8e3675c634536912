import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/cli-error.js';
import { ConfigError } from '../../src/config/load.js';
import { CredentialError } from '../../src/credentials/errors.js';
import { KeyringError } from '../../src/crypto/errors.js';
import { AdminRefusal } from '../../src/admin/http.js';
import {
  ACCOUNT_ERROR_CODES,
  ADMIN_ERROR_CODES,
  CLI_ERROR_CODES,
  CONFIG_ERROR_CODES,
  CREDENTIAL_ERROR_CODES,
  KEYRING_ERROR_CODES,
  PortcullisError,
  SERVER_ERROR_CODES,
  SSO_ERROR_CODES,
  STORE_ERROR_CODES,
} from '../../src/lib/errors.js';
import { StoreError } from '../../src/store/errors.js';

const families = [CONFIG_ERROR_CODES, STORE_ERROR_CODES, KEYRING_ERROR_CODES, CREDENTIAL_ERROR_CODES, ACCOUNT_ERROR_CODES, ADMIN_ERROR_CODES, CLI_ERROR_CODES, SERVER_ERROR_CODES, SSO_ERROR_CODES];

describe('one error model', () => {
  it('has one code style and no code in two families (a code means one thing)', () => {
    const all = families.flat();
    expect(new Set(all).size).toBe(all.length);
    for (const code of all) expect(code).toMatch(/^[a-z]+(_[a-z]+)*$/);
  });

  it('makes every error family a PortcullisError with its code and name', () => {
    const errors = [
      new ConfigError('portcullis.yaml', ['listen.port: expected a number']),
      new StoreError('unavailable', 'cannot connect'),
      new KeyringError('unknown_key', 'no such data key'),
      new CredentialError('name_taken', 'taken'),
      new AdminRefusal({ code: 'forbidden' }),
      new CliError('no admin token'),
    ];
    expect(errors.map((e) => [e instanceof PortcullisError, e.name, e.code])).toEqual([
      [true, 'ConfigError', 'invalid_config'],
      [true, 'StoreError', 'unavailable'],
      [true, 'KeyringError', 'unknown_key'],
      [true, 'CredentialError', 'name_taken'],
      [true, 'AdminRefusal', 'admin_refused'],
      [true, 'CliError', 'admin_call_failed'],
    ]);
  });
});
