import { useEffect, useState } from 'preact/hooks';
import { describeError, signIn } from '../api.js';
import type { Session } from '../api.js';
import { Alert, Field } from '../components.js';

/** Password, then the second factor (a TOTP code or a recovery code). */
export function SignIn({ session, onSession }: { session: Session | undefined; onSession: (s: Session) => void }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const mfa = session?.stage === 'mfa';
  const returnTo = new URLSearchParams(location.search).get('returnTo') ?? '/console/';
  const [providers, setProviders] = useState<{ saml?: boolean; oidc?: boolean }>({});
  useEffect(() => {
    // Single sign-on, when configured (docs/sso.md): the gateway says which providers to offer.
    fetch('/console/sso/providers', { credentials: 'same-origin' })
      .then((res) => (res.ok ? (res.json() as Promise<{ saml?: boolean; oidc?: boolean }>) : {}))
      .then(setProviders, () => undefined);
  }, []);
  const sso = (kind: 'saml' | 'oidc') => `/console/sso/${kind}/login?returnTo=${encodeURIComponent(returnTo)}`;

  async function submit(event: Event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    setBusy(true);
    setError(undefined);
    try {
      const next = mfa ? await signIn.mfa(String(form.get('code'))) : await signIn.login(String(form.get('username')), String(form.get('password')), returnTo);
      onSession(next);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="narrow" tabIndex={-1}>
      <h1>Portcullis console</h1>
      <form onSubmit={submit} class="card" aria-describedby={error ? 'sign-in-error' : undefined}>
        <h2>{mfa ? 'Second step' : 'Sign in'}</h2>
        {mfa ? (
          <Field label="Code from your authenticator app" hint="Or one of your recovery codes.">
            <input name="code" autocomplete="one-time-code" inputMode="numeric" required autoFocus maxLength={40} />
          </Field>
        ) : (
          <>
            <Field label="User name">
              <input name="username" autocomplete="username" required autoFocus maxLength={64} />
            </Field>
            <Field label="Password">
              <input name="password" type="password" autocomplete="current-password" required maxLength={256} />
            </Field>
          </>
        )}
        {error && <div id="sign-in-error"><Alert>{error}</Alert></div>}
        <button type="submit" disabled={busy}>
          {mfa ? 'Verify' : 'Continue'}
        </button>
      </form>
      {!mfa && (providers.saml || providers.oidc) && (
        <p class="card sso">
          Or sign in with your organisation: {providers.saml && <a href={sso('saml')}>SAML single sign-on</a>} {providers.oidc && <a href={sso('oidc')}>OpenID Connect</a>}
        </p>
      )}
    </main>
  );
}
