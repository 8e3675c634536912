import { useState } from 'preact/hooks';
import { admin } from '../api.js';
import type { Role } from '../api.js';
import { ActionButton, ActionForm, ConsumerSelect, Field, Loaded, Page, SecretOnce, Table, age, useAction, useLoad, when } from '../components.js';
import { can } from '../permissions.js';
import type { Consumer } from './consumers.js';

interface Key {
  id: string;
  consumerId: string;
  scopes: string[];
  status: string;
  createdAt: string;
  expiresAt: string;
  lastUsedAt: string | null;
  rotationDue: boolean;
}

/** API keys: ages and rotation due dates; create, rotate and revoke (the new key shown once). */
export function Keys({ role }: { role: Role }) {
  const consumer = new URLSearchParams(location.search).get('consumer') ?? '';
  const consumers = useLoad(() => admin.get<{ consumers: Consumer[] }>('consumers'));
  const keys = useLoad(() => admin.get<{ keys: Key[] }>(`keys${consumer ? `?consumer=${encodeURIComponent(consumer)}` : ''}`), [consumer]);
  const action = useAction();
  const [secret, setSecret] = useState<{ label: string; value: string }>();
  const [form, setForm] = useState({ consumerId: consumer, scopes: '' });
  const write = can.writeCredentials(role);
  const names = new Map(consumers.data?.consumers.map((c) => [c.id, c.name]));

  return (
    <Page title="API keys">
      {secret && <SecretOnce label={secret.label} value={secret.value} />}
      {write && (
        <ActionForm
          action={action}
          submit={async () => {
              const scopes = form.scopes.split(/[\s,]+/).filter(Boolean);
              const created = await admin.post<Key & { key: string }>('keys', { consumerId: form.consumerId, scopes });
              setSecret({ label: `New key ${created.id}`, value: created.key });
              keys.reload();
          }}
        >
          <ConsumerSelect consumers={consumers.data?.consumers} value={form.consumerId} onChange={(consumerId) => setForm({ ...form, consumerId })} />
          <Field label="Scopes" hint="Separated by spaces, e.g. companies:read">
            <input value={form.scopes} onInput={(e) => setForm({ ...form, scopes: e.currentTarget.value })} />
          </Field>
          <button type="submit" disabled={action.busy}>
            Create key
          </button>
        </ActionForm>
      )}
      <Loaded actionError={action.error} data={keys.data} error={keys.error}>
        {(data) => (
        <Table
          head={['Key', 'Consumer', 'Scopes', 'Status', 'Age', 'Rotate by', 'Last used', ...(write ? ['Actions'] : [])]}
          empty="No keys."
          rows={data.keys.map((k) => [
            <code>{k.id}</code>,
            names.get(k.consumerId) ?? k.consumerId,
            k.scopes.join(' ') || '—',
            <span class={`badge badge-${k.status}`}>{k.status}</span>,
            age(k.createdAt),
            <span class={k.rotationDue ? 'due' : ''}>{k.rotationDue ? `due now (expires ${when(k.expiresAt)})` : when(k.expiresAt)}</span>,
            when(k.lastUsedAt),
            ...(write
              ? [
                  k.status === 'active' || k.status === 'rotating' ? (
                    <span class="actions">
                      <ActionButton action={action} label="Rotate" what={k.id} kind="secondary" run={async () => {
                            const rotated = await admin.post<{ key: string; id: string }>(`keys/${k.id}/rotate`, {});
                            setSecret({ label: `Rotated key ${rotated.id} (the old one works for the grace period)`, value: rotated.key });
                            keys.reload();
                          }} />
                      <ActionButton action={action} label="Revoke" what={k.id} kind="danger" confirmText={`Revoke ${k.id}? Requests with it fail at once.`} run={async () => (await admin.post(`keys/${k.id}/revoke`), keys.reload())} />
                    </span>
                  ) : (
                    '—'
                  ),
                ]
              : []),
          ])}
        />
        )}
      </Loaded>
    </Page>
  );
}
