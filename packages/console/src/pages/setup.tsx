import { useEffect, useState } from 'preact/hooks';
import { describeError, signIn } from '../api.js';
import type { Session } from '../api.js';
import { Alert, Field } from '../components.js';

/**
 * A one-time setup link (first start, or a user an admin added): choose a password and enrol an
 * authenticator app. The token is in the URL fragment, which the browser never sends; it is
 * removed from the address bar as soon as it is read.
 */
export function Setup({ session, onSession }: { session: Session | undefined; onSession: (s: Session) => void }) {
  const [error, setError] = useState<string>();
  const [totp, setTotp] = useState<{ secret: string; qr: string; username: string }>();
  const [codes, setCodes] = useState<{ codes: string[]; session: Session }>();

  useEffect(() => {
    const token = new URLSearchParams(location.hash.slice(1)).get('token');
    history.replaceState(null, '', location.pathname);
    if (token) {
      signIn.setup(token).then(onSession, (e: unknown) => setError(describeError(e)));
    }
  }, []);

  useEffect(() => {
    if (session?.stage === 'enrol' && !totp) signIn.totp().then(setTotp, (e: unknown) => setError(describeError(e)));
  }, [session?.stage]);

  async function finish(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    if (form.get('password') !== form.get('confirm')) return setError('The two passwords differ.');
    setError(undefined);
    try {
      const done = await signIn.finish(String(form.get('password')), String(form.get('code')));
      setCodes({ codes: done.recoveryCodes ?? [], session: done });
    } catch (e) {
      setError(describeError(e));
    }
  }

  if (codes) {
    return (
      <main id="main" class="narrow" tabIndex={-1}>
        <h1>Recovery codes</h1>
        <div class="card">
          <p>Each code signs you in once if you lose your authenticator. Store them somewhere safe: they are not shown again.</p>
          <ul class="codes" data-testid="recovery-codes">
            {codes.codes.map((c) => (
              <li key={c}>
                <code>{c}</code>
              </li>
            ))}
          </ul>
          <button type="button" onClick={() => onSession(codes.session)}>
            I have stored them — open the console
          </button>
        </div>
      </main>
    );
  }

  return (
    <main id="main" class="narrow" tabIndex={-1}>
      <h1>Set up your account</h1>
      {error && <Alert>{error}</Alert>}
      {session?.stage === 'enrol' && totp ? (
        <form class="card" onSubmit={finish}>
          <p>
            Signing in as <strong>{totp.username}</strong>. Choose a password, then scan the code with an authenticator app.
          </p>
          <Field label="New password" hint="At least 12 characters; a passphrase of several words is easiest.">
            <input name="password" type="password" autocomplete="new-password" required minLength={12} maxLength={256} autoFocus />
          </Field>
          <Field label="Repeat the password">
            <input name="confirm" type="password" autocomplete="new-password" required minLength={12} maxLength={256} />
          </Field>
          <figure class="qr">
            <img src={totp.qr} alt="QR code for your authenticator app" width={200} height={200} />
            <figcaption>
              Cannot scan? Enter this key: <code data-testid="totp-secret">{totp.secret}</code>
            </figcaption>
          </figure>
          <Field label="Code shown by the app">
            <input name="code" autocomplete="one-time-code" inputMode="numeric" pattern="[0-9]{6}" required maxLength={6} />
          </Field>
          <button type="submit">Finish setup</button>
        </form>
      ) : (
        !error && <p class="muted">Opening your setup link…</p>
      )}
    </main>
  );
}
