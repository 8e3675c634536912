import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway } from '../helpers/gateway.js';

/** `{"scopes": [...], "scopes": [...]}` must not mean whatever the last member says (issue 6, defect 7). */

let t: CredentialGateway;
let consumerId: string;

beforeAll(async () => {
  t = await startCredentialGateway();
  consumerId = await t.createConsumer();
});
afterAll(async () => {
  await t?.stop();
});

describe('duplicate JSON members in admin API bodies', () => {
  it.each([
    ['scopes', () => `{"consumerId":"${consumerId}","scopes":["companies:read"],"scopes":["companies:write"]}`, '/scopes', 'scopes'],
    ['consumerId', () => `{"consumerId":"${consumerId}","consumerId":"con_other"}`, '/consumerId', 'consumerId'],
    ['an escaped spelling', () => `{"consumerId":"${consumerId}","allowedIps":[],"allowed\\u0049ps":["10.0.0.0/8"]}`, '/allowedIps', 'allowedIps'],
  ])('refuses a key with a duplicated member (%s) with 400 naming it, and creates nothing', async (_case, body, pointer, field) => {
    const before = ((await t.admin('GET', `/admin/v1/keys?consumer=${consumerId}`)).json() as { keys: unknown[] }).keys.length;
    const reply = await t.admin('POST', '/admin/v1/keys', body());
    const problem = expectProblem(reply, 400, 'bad-request');
    expect(problem.errors).toEqual([{ pointer, field, detail: `duplicate member "${field}": send each member once` }]);
    const after = ((await t.admin('GET', `/admin/v1/keys?consumer=${consumerId}`)).json() as { keys: unknown[] }).keys.length;
    expect(after).toBe(before);
  });

  it('refuses duplicates on every body-taking route (consumers, rotate)', async () => {
    expectProblem(await t.admin('POST', '/admin/v1/consumers', '{"name":"a","name":"b"}'), 400, 'bad-request');
    const key = await t.createKey({ consumerId });
    const reply = await t.admin('POST', `/admin/v1/keys/${key.id}/rotate`, '{"grace":"1h","grace":"0s"}');
    expect(expectProblem(reply, 400, 'bad-request').errors).toEqual([{ pointer: '/grace', field: 'grace', detail: 'duplicate member "grace": send each member once' }]);
  });

  it('still accepts the same name in different objects', async () => {
    const reply = await t.admin('POST', '/admin/v1/consumers', '{"name":"twice-ok"}');
    expect(reply.status, reply.text).toBe(201);
  });
});
