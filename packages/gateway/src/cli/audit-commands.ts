import type { Command } from 'commander';
import { CliError } from './cli-error.js';
import { client, print, withCommon } from './common.js';
import type { AuditEvent, RotateKeyringResponse, VerifyAuditResponse } from '../admin/api-types.js';
import type { Common } from './common.js';
import { durationFlag, positiveInteger } from './flags.js';
import { table, when } from './output.js';


export function registerAuditCommands(program: Command): void {
  const keyring = program.command('keyring').description('encryption keys for secrets at rest');
  withCommon(keyring.command('rotate').description('start a new data key and re-wrap all data keys under the current master key')).action(
    async (o: Common) => {
      const r = await client(o)<RotateKeyringResponse>('POST', '/keyring/rotate');
      print(o, r, () => `new data key ${r.dataKeyId}; ${r.rewrapped} data key(s) re-wrapped under master key ${r.masterKeyId}`);
    },
  );

  const audit = program.command('audit').description('the tamper-evident audit log');
  withCommon(audit.command('verify').description('recompute the hash chain; exits 3 if a record was altered or removed')).action(async (o: Common) => {
    const r = await client(o)<VerifyAuditResponse>('GET', '/audit/verify');
    print(o, r, () => (r.ok ? `audit log intact: ${r.records} records, head ${r.head ?? '-'} (sealed)` : `AUDIT LOG BROKEN: ${r.message ?? `at record ${r.brokenAt}`}`));
    if (!r.ok) throw new CliError('', 'audit_broken');
  });
  withCommon(
    audit
      .command('list')
      .description('the latest audit records, oldest first')
      .option('--action <action>', 'only this action, such as key.revoke (or a prefix ending in ".", such as key.)')
      .option('--actor <id>', 'only records made by this admin token id (or "demo", "system")')
      .option('--target <id>', 'only records about this consumer or key id')
      .option('--since <duration>', 'only records from this long ago, such as 24h or 7d', durationFlag('24h'))
      .option('--limit <n>', 'at most this many records (the latest ones)', positiveInteger('50'), 50),
  ).action(async (o: Common & { action?: string; actor?: string; target?: string; since?: string; limit: number }) => {
    const query = new URLSearchParams();
    for (const name of ['actor', 'target', 'since'] as const) if (o[name]) query.set(name, o[name]);
    // The API names a family as `key.*`; `key.` is accepted here as the same.
    if (o.action) query.set('action', o.action.endsWith('.') ? `${o.action}*` : o.action);
    query.set('limit', String(o.limit));
    const page = await client(o)<{ events: AuditEvent[]; nextCursor: string | null }>('GET', `/audit?${query.toString()}`);
    // The API pages newest first; a terminal reads a log oldest first.
    const reply = { ...page, events: [...page.events].reverse() };
    print(o, reply, () =>
      reply.events.length === 0
        ? 'no audit records match'
        : table(
            ['SEQ', 'AT', 'ACTOR', 'ACTION', 'TARGET', 'DETAIL'],
            reply.events.map((e) => [e.seq, when(e.at), e.actor, e.action, e.target ?? '-', Object.keys(e.detail).length ? JSON.stringify(e.detail) : '']),
          ),
    );
  });
}
