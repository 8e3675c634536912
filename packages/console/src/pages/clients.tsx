import { useState } from 'preact/hooks';
import { admin } from '../api.js';
import type { Role } from '../api.js';
import { ActionButton, ActionForm, ConsumerSelect, Field, Loaded, Page, SecretOnce, Table, useAction, useLoad, when } from '../components.js';
import { can } from '../permissions.js';
import type { Consumer } from './consumers.js';

interface Client {
  client_id: string;
  consumerId: string;
  tokenEndpointAuthMethod: string;
  scopes: string[];
  status: string;
  createdAt: string;
}

/** OAuth clients (client credentials): create with the secret shown once, rotate the secret, revoke. */
export function Clients({ role }: { role: Role }) {
  const consumers = useLoad(() => admin.get<{ consumers: Consumer[] }>('consumers'));
  const clients = useLoad(() => admin.get<{ clients: Client[] }>('clients'));
  const action = useAction();
  const [secret, setSecret] = useState<{ label: string; value: string }>();
  const [form, setForm] = useState({ consumerId: '', scopes: '' });
  const write = can.writeCredentials(role);
  const names = new Map(consumers.data?.consumers.map((c) => [c.id, c.name]));
  return (
    <Page title="OAuth clients">
      {secret && <SecretOnce label={secret.label} value={secret.value} />}
      {write && (
        <ActionForm
          action={action}
          submit={async () => {
              const created = await admin.post<Client & { client_secret: string }>('clients', { consumerId: form.consumerId, scopes: form.scopes.split(/[\s,]+/).filter(Boolean) });
              setSecret({ label: `Client secret of ${created.client_id}`, value: created.client_secret });
              clients.reload();
          }}
        >
          <ConsumerSelect consumers={consumers.data?.consumers} value={form.consumerId} onChange={(consumerId) => setForm({ ...form, consumerId })} />
          <Field label="Scopes">
            <input value={form.scopes} onInput={(e) => setForm({ ...form, scopes: e.currentTarget.value })} />
          </Field>
          <button type="submit" disabled={action.busy}>
            Create client
          </button>
        </ActionForm>
      )}
      <Loaded actionError={action.error} data={clients.data} error={clients.error}>
        {(data) => (
        <Table
          head={['Client id', 'Consumer', 'Authentication', 'Scopes', 'Status', 'Created', ...(write ? ['Actions'] : [])]}
          empty="No OAuth clients."
          rows={data.clients.map((c) => [
            <code>{c.client_id}</code>,
            names.get(c.consumerId) ?? c.consumerId,
            c.tokenEndpointAuthMethod,
            c.scopes.join(' ') || '—',
            <span class={`badge badge-${c.status}`}>{c.status}</span>,
            when(c.createdAt),
            ...(write
              ? [
                  c.status === 'active' ? (
                    <span class="actions">
                      {c.tokenEndpointAuthMethod !== 'private_key_jwt' && (
                        <ActionButton action={action} label="Rotate secret" what={c.client_id} kind="secondary" run={async () => {
                              const rotated = await admin.post<{ client_secret: string }>(`clients/${c.client_id}/rotate-secret`, {});
                              setSecret({ label: `New secret of ${c.client_id}`, value: rotated.client_secret });
                            }} />
                      )}
                      <ActionButton action={action} label="Revoke" what={c.client_id} kind="danger" confirmText={`Revoke ${c.client_id}?`} run={async () => (await admin.post(`clients/${c.client_id}/revoke`), clients.reload())} />
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
