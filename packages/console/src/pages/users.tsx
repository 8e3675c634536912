import { useState } from 'preact/hooks';
import { admin } from '../api.js';
import type { Role } from '../api.js';
import { ActionButton, ActionForm, Field, Loaded, Page, SecretOnce, Table, useAction, useLoad, when } from '../components.js';
import { grantable } from '../permissions.js';

interface User {
  id: string;
  username: string;
  role: Role;
  enrolled: boolean;
  createdAt: string;
  disabledAt: string | null;
}

/** Console users and roles: add a user (a one-time setup link to hand over), change a role, disable. */
export function Users({ role, me }: { role: Role; me: string }) {
  const { data, error, reload } = useLoad(() => admin.get<{ users: User[] }>('users'));
  const action = useAction();
  const roles = grantable(role);
  const [form, setForm] = useState<{ username: string; role: Role }>({ username: '', role: 'developer' });
  const [link, setLink] = useState<{ label: string; value: string }>();
  const setupLink = (path: string) => `${location.origin}${path}`;
  return (
    <Page title="Users and roles">
      {link && <SecretOnce label={link.label} value={link.value} note="Hand it to the person it is for: it works once, for a short time." />}
      <ActionForm
        action={action}
        submit={async () => {
            const created = await admin.post<User & { setupPath: string }>('users', form);
            setLink({ label: `Setup link for ${created.username}`, value: setupLink(created.setupPath) });
            setForm({ ...form, username: '' });
            reload();
        }}
      >
        <Field label="User name">
          <input value={form.username} onInput={(e) => setForm({ ...form, username: e.currentTarget.value })} required maxLength={64} />
        </Field>
        <Field label="Role">
          <select value={form.role} onChange={(e) => setForm({ ...form, role: e.currentTarget.value as Role })}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </Field>
        <button type="submit" disabled={action.busy}>
          Add user
        </button>
      </ActionForm>
      <Loaded actionError={action.error} data={data} error={error}>
        {(data) => (
        <Table
          head={['User', 'Role', 'Status', 'Created', 'Actions']}
          empty="No users."
          rows={data.users.map((u) => {
            const manageable = roles.includes(u.role) && u.id !== me && !u.disabledAt;
            return [
              u.username,
              manageable ? (
                <select
                  aria-label={`Role of ${u.username}`}
                  value={u.role}
                  onChange={(e) => void action.run(async () => (await admin.post(`users/${u.id}/role`, { role: e.currentTarget.value }), reload()))}
                >
                  {roles.map((r) => (
                    <option key={r} value={r}>
                      {r}
                    </option>
                  ))}
                </select>
              ) : (
                u.role
              ),
              u.disabledAt ? 'disabled' : u.enrolled ? 'active' : 'setup pending',
              when(u.createdAt),
              manageable ? (
                <span class="actions">
                  <ActionButton action={action} label="New setup link" what={`for ${u.username}`} kind="secondary" run={async () => {
                        const reset = await admin.post<{ setupPath: string }>(`users/${u.id}/setup-link`, {});
                        setLink({ label: `New setup link for ${u.username}`, value: setupLink(reset.setupPath) });
                      }} />
                  <ActionButton action={action} label="Disable" what={u.username} kind="danger" confirmText={`Disable ${u.username}?`} run={async () => (await admin.post(`users/${u.id}/disable`), reload())} />
                </span>
              ) : (
                '—'
              ),
            ];
          })}
        />
        )}
      </Loaded>
    </Page>
  );
}
