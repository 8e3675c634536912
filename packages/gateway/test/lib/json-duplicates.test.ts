import { describe, expect, it } from 'vitest';
import { findDuplicateMember } from '../../src/lib/json-duplicates.js';

describe('findDuplicateMember', () => {
  it.each([
    ['{"a":1,"a":2}', ['a']],
    ['{"scopes":["x"],"name":"n","scopes":["y"]}', ['scopes']],
    ['{"a":{"b":1,"b":2}}', ['a', 'b']],
    ['{"a":[{"x":1},{"y":1,"y":2}]}', ['a', 1, 'y']],
    ['[{"k":1},{"k":1,"k":1}]', [1, 'k']],
    ['{"sc\\u006fpes":[],"scopes":[]}', ['scopes']], // names compare decoded
    ['{"a\\"b":1,"a\\"b":2}', ['a"b']],
    ['{ "a" : 1 , "a" : 2 }', ['a']],
    ['{"":1,"":2}', ['']],
  ])('finds the duplicate in %s', (text, path) => {
    expect(findDuplicateMember(text)).toEqual(path);
  });

  it.each([
    '{"a":1,"b":2}',
    '{"a":{"a":1}}', // the same name in different objects
    '[{"a":1},{"a":2}]',
    '{"a":"a","b":"a"}', // a value equal to a name
    '{"a":["a","a"]}',
    '"just a string"',
    '[]',
    '{}',
    '{"a":{},"b":{"a":{}}}',
  ])('finds none in %s', (text) => {
    expect(findDuplicateMember(text)).toBeUndefined();
  });

  it('walks very deep nesting without recursion', () => {
    const depth = 20_000;
    expect(findDuplicateMember(`${'['.repeat(depth)}${']'.repeat(depth)}`)).toBeUndefined();
    expect(findDuplicateMember(`${'{"a":'.repeat(depth)}{"z":1,"z":2}${'}'.repeat(depth)}`)).toHaveLength(depth + 1);
  });
});
