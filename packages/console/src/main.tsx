import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { signIn, useSession, whenSignedOut } from './api.js';
import type { Role, Session } from './api.js';
import { can } from './permissions.js';
import { BASE, navigate, onLinkClick, usePath } from './router.js';
import { Alerts } from './pages/alerts.js';
import { Audit } from './pages/audit.js';
import { Check } from './pages/check.js';
import { Clients } from './pages/clients.js';
import { Consumers } from './pages/consumers.js';
import { Keys } from './pages/keys.js';
import { Overview } from './pages/overview.js';
import { Services } from './pages/services.js';
import { Setup } from './pages/setup.js';
import { SignIn } from './pages/sign-in.js';
import { Users } from './pages/users.js';
import './style.css';

interface NavItem {
  path: string;
  label: string;
  show?: (role: Role) => boolean;
}

const NAV: readonly NavItem[] = [
  { path: '', label: 'Traffic' },
  { path: 'consumers', label: 'Consumers' },
  { path: 'keys', label: 'API keys' },
  { path: 'clients', label: 'OAuth clients' },
  { path: 'services', label: 'Services' },
  { path: 'alerts', label: 'Alerts' },
  { path: 'audit', label: 'Audit log' },
  { path: 'users', label: 'Users', show: can.manageUsers },
  { path: 'check', label: 'Checks', show: can.runCheck },
];

function Shell({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const path = usePath().slice(BASE.length).replace(/\/$/, '');
  const role = session.role;
  const pages: Record<string, () => preact.JSX.Element> = {
    '': () => <Overview />,
    consumers: () => <Consumers role={role} />,
    keys: () => <Keys role={role} />,
    clients: () => <Clients role={role} />,
    services: () => <Services />,
    alerts: () => <Alerts />,
    audit: () => <Audit />,
    ...(can.manageUsers(role) ? { users: () => <Users role={role} me={session.subject} /> } : {}),
    ...(can.runCheck(role) ? { check: () => <Check /> } : {}),
  };
  const page = pages[path];
  return (
    <div class="shell" onClick={onLinkClick}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={BASE}>
          Portcullis
        </a>
        <span class="who">
          {session.username} · <span class="badge">{role}</span>
        </span>
        <button type="button" class="secondary" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <nav aria-label="Console">
        <ul>
          {NAV.filter((item) => !item.show || item.show(role)).map((item) => (
            <li key={item.path}>
              <a href={`${BASE}${item.path}`} aria-current={path === item.path ? 'page' : undefined}>
                {item.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {page ? page() : <p>Not found. <a href={BASE}>Back to the console</a>.</p>}
      </main>
    </div>
  );
}

function App() {
  const [session, setSession] = useState<Session>();
  const [checked, setChecked] = useState(false);
  const path = usePath();

  function accept(next: Session | undefined) {
    useSession(next);
    setSession(next);
    if (next?.stage === 'active' && next.next) navigate(next.next);
    else if (next?.stage === 'active' && path.startsWith(`${BASE}setup`)) navigate(BASE);
  }

  useEffect(() => {
    whenSignedOut(() => accept(undefined));
    signIn.session().then(accept, () => accept(undefined)).finally(() => setChecked(true));
  }, []);

  if (!checked) return <p class="muted">Loading…</p>;
  if (path.startsWith(`${BASE}setup`) && session?.stage !== 'active') return <Setup session={session} onSession={accept} />;
  if (session?.stage !== 'active') return <SignIn session={session} onSession={accept} />;
  return (
    <Shell
      session={session}
      onSignOut={() => {
        void signIn.logout().finally(() => {
          accept(undefined);
          navigate(`${BASE}`);
        });
      }}
    />
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
