import { admin } from '../api.js';
import { Alert, Loading, Page, Table, useLoad, when } from '../components.js';

interface AuditEvent {
  seq: string;
  at: string;
  actor: string;
  action: string;
  target: string | null;
}
type Integrity = { ok: true; records: number; head: string | null } | { ok: false; records: number; brokenAt: string | null; message: string };

/** The hash-chained audit log and whether its chain (and seal) verifies. */
export function Audit() {
  const events = useLoad(() => admin.get<{ events: AuditEvent[] }>('audit?limit=200'));
  const chain = useLoad(() => admin.get<Integrity>('audit/verify'));
  return (
    <Page title="Audit log">
      {chain.data ? (
        chain.data.ok ? (
          <Alert kind="ok">
            Chain intact: {chain.data.records} records verified{chain.data.head ? `, head ${chain.data.head.slice(0, 12)}…` : ''}.
          </Alert>
        ) : (
          <Alert>Chain broken: {chain.data.message}</Alert>
        )
      ) : (
        <Loading error={chain.error} />
      )}
      {!events.data ? (
        <Loading error={events.error} />
      ) : (
        <Table
          head={['#', 'When', 'Actor', 'Action', 'Target']}
          empty="No audit records."
          rows={events.data.events.map((e) => [e.seq, when(e.at), <code>{e.actor}</code>, e.action, e.target ? <code>{e.target}</code> : '—'])}
        />
      )}
    </Page>
  );
}
