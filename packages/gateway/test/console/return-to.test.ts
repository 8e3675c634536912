import { describe, expect, it } from 'vitest';
import { safeReturnTo } from '../../src/console/return-to.js';

/** returnTo is a console path on this origin, or nothing: sign-in is never an open redirect. */
describe('safeReturnTo', () => {
  it.each([
    ['/console', '/console'],
    ['/console/', '/console/'],
    ['/console/keys?consumer=acme#new', '/console/keys?consumer=acme#new'],
    ['/console/a/../keys', '/console/keys'],
  ])('keeps %s', (input, kept) => expect(safeReturnTo(input)).toBe(kept));

  it.each([
    'https://evil.example/console/',
    '//evil.example/console/',
    '///evil.example/console/',
    '/\\evil.example/console/',
    '\\\\evil.example',
    '/console/%2e%2e/admin/v1/keys',
    '/console/../admin',
    '/consoleevil',
    'javascript:alert(1)',
    '/console/\nSet-Cookie: x=1',
    '/console/\t',
    'console/keys',
    `/console/${'a'.repeat(3000)}`,
  ])('refuses %j', (input) => expect(safeReturnTo(input)).toBeUndefined());
});
