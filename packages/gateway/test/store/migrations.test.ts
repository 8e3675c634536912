import { describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/store/migrations.js';

describe('migrations list', () => {
  it('has unique ids in application order', () => {
    const ids = MIGRATIONS.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    for (const id of ids) expect(id).toMatch(/^\d{4}_[a-z0-9_]+$/);
  });
});
