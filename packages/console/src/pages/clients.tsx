import { useState } from 'preact/hooks';
import { admin } from '../api.js';
import type { Role } from '../api.js';
import { Alert, Field, Loading, Page, SecretOnce, Table, useAction, useLoad, when } from '../components.js';
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
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void action.run(async () => {
              const created = await admin.post<Client & { client_secret: string }>('clients', { consumerId: form.consumerId, scopes: form.scopes.split(/[\s,]+/).filter(Boolean) });
              setSecret({ label: `Client secret of ${created.client_id}`, value: created.client_secret });
              clients.reload();
            });
          }}
        >
          <Field label="Consumer">
            <select value={form.consumerId} onChange={(e) => setForm({ ...form, consumerId: e.currentTarget.value })} required>
              <option value="">Choose…</option>
              {consumers.data?.consumers
                .filter((c) => c.status === 'active')
                .map((c) => (
                  <option value={c.id} key={c.id}>
                    {c.name}
                  </option>
                ))}
            </select>
          </Field>
          <Field label="Scopes">
            <input value={form.scopes} onInput={(e) => setForm({ ...form, scopes: e.currentTarget.value })} />
          </Field>
          <button type="submit" disabled={action.busy}>
            Create client
          </button>
        </form>
      )}
      {action.error && <Alert>{action.error}</Alert>}
      {!clients.data ? (
        <Loading error={clients.error} />
      ) : (
        <Table
          head={['Client id', 'Consumer', 'Authentication', 'Scopes', 'Status', 'Created', ...(write ? ['Actions'] : [])]}
          empty="No OAuth clients."
          rows={clients.data.clients.map((c) => [
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
                        <button
                          type="button"
                          class="secondary"
                          onClick={() =>
                            void action.run(async () => {
                              const rotated = await admin.post<{ client_secret: string }>(`clients/${c.client_id}/rotate-secret`, {});
                              setSecret({ label: `New secret of ${c.client_id}`, value: rotated.client_secret });
                            })
                          }
                        >
                          Rotate secret <span class="sr-only">{c.client_id}</span>
                        </button>
                      )}
                      <button
                        type="button"
                        class="danger"
                        onClick={() => confirm(`Revoke ${c.client_id}?`) && void action.run(async () => (await admin.post(`clients/${c.client_id}/revoke`), clients.reload()))}
                      >
                        Revoke <span class="sr-only">{c.client_id}</span>
                      </button>
                    </span>
                  ) : (
                    '—'
                  ),
                ]
              : []),
          ])}
        />
      )}
    </Page>
  );
}
