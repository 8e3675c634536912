import type { Command } from 'commander';
import type { AdminToken, CreateAdminTokenRequest, CreateAdminTokenResponse, ListAdminTokensResponse } from '../admin/api-types.js';
import { client, print, withCommon } from './common.js';
import type { Common } from './common.js';
import { commaList, durationFlag } from './flags.js';
import { details, paint, status, table, when } from './output.js';

const ID = /^[A-Za-z0-9_]{1,64}$/;
const consumerItem = (item: string) => (ID.test(item) ? undefined : `"${item}" is not a consumer id: a consumer id is letters, digits and _, such as con_4k9Xb2mQ7pLz`);

function reach(t: AdminToken): string {
  return t.consumers ? t.consumers.join(' ') : 'all consumers';
}

function shownOnce(t: CreateAdminTokenResponse): string {
  return [
    paint(t.token, 'bold'),
    '',
    `This is the only time the token is shown: only its hash is stored. Give it to its holder as PORTCULLIS_ADMIN_TOKEN.`,
    details([
      ['id', t.id],
      ['role', t.role],
      ['reaches', reach(t)],
      ['expires', t.expiresAt ? when(t.expiresAt) : 'never (until revoked)'],
    ]),
  ].join('\n');
}

/** `portcullis admin-tokens create|list|revoke`: scoped tokens for the admin API (docs/rbac.md). */
export function registerAdminTokenCommands(program: Command): void {
  const tokens = program.command('admin-tokens').description('admin API tokens with a role: owner, admin, developer or auditor (see docs/rbac.md)');
  withCommon(
    tokens
      .command('create')
      .description('create an admin token (shown once); nobody grants a role above their own')
      .requiredOption('--role <role>', 'owner, admin, developer or auditor')
      .option('--name <name>', 'what the token is for, such as "ci deploy"')
      .option('--expires-in <duration>', 'lifetime such as 30d, 2w or 12h (default: until revoked)', durationFlag('30d'))
      .option('--consumer <id>', 'developer tokens: limit it to this consumer (repeatable; others answer 404)', commaList(consumerItem), []),
  ).action(async (o: Common & { role: string; name?: string; expiresIn?: string; consumer: string[] }) => {
    const request = {
      role: o.role,
      ...(o.name ? { name: o.name } : {}),
      ...(o.expiresIn ? { expiresIn: o.expiresIn } : {}),
      ...(o.consumer.length > 0 ? { consumers: o.consumer } : {}),
    } as CreateAdminTokenRequest; // the role is checked by the admin API, which names --role if it is not one
    const t = await client(o)<CreateAdminTokenResponse>('POST', '/admin-tokens', request);
    print(o, t, () => shownOnce(t));
  });
  withCommon(tokens.command('list').description('list admin tokens (never their values)')).action(async (o: Common) => {
    const reply = await client(o)<ListAdminTokensResponse>('GET', '/admin-tokens');
    print(o, reply, () =>
      table(
        ['ID', 'NAME', 'ROLE', 'REACHES', 'STATUS', 'CREATED', 'EXPIRES'],
        reply.tokens.map((t) => [t.id, t.name, t.role, reach(t), status(t.status), when(t.createdAt), t.expiresAt ? when(t.expiresAt) : 'never']),
      ),
    );
  });
  withCommon(tokens.command('revoke').description('revoke an admin token at once (the bootstrap owner token too)').argument('<id>', 'the token id, as in `admin-tokens list`')).action(
    async (id: string, o: Common) => {
      const t = await client(o)<AdminToken>('POST', `/admin-tokens/${encodeURIComponent(id)}/revoke`);
      print(o, t, () => `revoked admin token ${t.id} (${t.name}, ${t.role}): it is refused from now on`);
    },
  );
}
