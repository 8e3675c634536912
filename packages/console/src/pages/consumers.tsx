import { useState } from 'preact/hooks';
import { admin } from '../api.js';
import type { Role } from '../api.js';
import { ActionButton, ActionForm, Field, Loaded, Page, Table, useAction, useLoad, when } from '../components.js';
import { can } from '../permissions.js';

export interface Consumer {
  id: string;
  name: string;
  status: 'active' | 'disabled';
  createdAt: string;
}

export function Consumers({ role }: { role: Role }) {
  const { data, error, reload } = useLoad(() => admin.get<{ consumers: Consumer[] }>('consumers'));
  const action = useAction();
  const [name, setName] = useState('');
  const write = can.writeCredentials(role);
  return (
    <Page title="Consumers">
      {write && (
        <ActionForm
          action={action}
          submit={async () => {
              await admin.post('consumers', { name });
              setName('');
              reload();
          }}
        >
          <Field label="New consumer name">
            <input value={name} onInput={(e) => setName(e.currentTarget.value)} required maxLength={200} />
          </Field>
          <button type="submit" disabled={action.busy}>
            Create consumer
          </button>
        </ActionForm>
      )}
      <Loaded actionError={action.error} data={data} error={error}>
        {(data) => (
        <Table
          head={['Name', 'Id', 'Status', 'Created', ...(write ? ['Actions'] : [])]}
          empty="No consumers yet."
          rows={data.consumers.map((c) => [
            <a href={`/console/keys?consumer=${c.id}`}>{c.name}</a>,
            <code>{c.id}</code>,
            <span class={`badge badge-${c.status}`}>{c.status}</span>,
            when(c.createdAt),
            ...(write
              ? [
                  <ActionButton
                    action={action}
                    label={c.status === 'active' ? 'Disable' : 'Enable'}
                    what={c.name}
                    run={async () => (await admin.post(`consumers/${c.id}/${c.status === 'active' ? 'disable' : 'enable'}`), reload())}
                  />,
                ]
              : []),
          ])}
        />
        )}
      </Loaded>
    </Page>
  );
}
