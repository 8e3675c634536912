import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { describeError } from './api.js';

/** Loads data once (and again when `reload` changes); shows errors in words. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): { data: T | undefined; error: string | undefined; reload: () => void } {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (value) => live && (setData(value), setError(undefined)),
      (e: unknown) => live && setError(describeError(e)),
    );
    return () => {
      live = false;
    };
  }, [tick, ...deps]);
  return { data, error, reload: () => setTick((t) => t + 1) };
}

export function Page({ title, children, actions }: { title: string; children: ComponentChildren; actions?: ComponentChildren }) {
  useEffect(() => {
    document.title = `${title} · Portcullis`;
    document.getElementById('main')?.focus();
  }, [title]);
  return (
    <section aria-labelledby="page-title">
      <header class="page-head">
        <h1 id="page-title">{title}</h1>
        {actions}
      </header>
      {children}
    </section>
  );
}

export function Alert({ kind = 'error', children }: { kind?: 'error' | 'info' | 'ok'; children: ComponentChildren }) {
  return (
    <p class={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </p>
  );
}

export function Loading({ error }: { error: string | undefined }) {
  return error ? <Alert>{error}</Alert> : <p class="muted">Loading…</p>;
}

/** A secret shown once, with a copy button: it is not shown again after this page is left. */
export function SecretOnce({ label, value, note }: { label: string; value: string; note?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="secret" role="status">
      <p>
        <strong>{label}</strong> — shown once. {note ?? 'Copy it now: Portcullis keeps only a hash.'}
      </p>
      <div class="secret-row">
        <code data-testid="secret">{value}</code>
        <button
          type="button"
          onClick={() => {
            void navigator.clipboard?.writeText(value).then(() => setCopied(true));
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
    </div>
  );
}

export function Table({ head, rows, empty }: { head: string[]; rows: ComponentChildren[][]; empty: string }) {
  if (rows.length === 0) return <p class="muted">{empty}</p>;
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label="table">
      <table>
        <thead>
          <tr>
            {head.map((h) => (
              <th scope="col" key={h}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((cells, i) => (
            <tr key={i}>
              {cells.map((c, j) => (
                <td key={j}>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Field({ label, children, hint }: { label: string; children: ComponentChildren; hint?: string }) {
  return (
    <label class="field">
      <span>{label}</span>
      {children}
      {hint && <small class="muted">{hint}</small>}
    </label>
  );
}

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—');

export function age(iso: string): string {
  const days = Math.floor((Date.now() - new Date(iso).getTime()) / 86_400_000);
  return days < 1 ? 'today' : `${days} d`;
}

/** Runs an action from a button, with its error shown beside the button. */
export function useAction() {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  return {
    error,
    busy,
    async run(action: () => Promise<void>) {
      setBusy(true);
      setError(undefined);
      try {
        await action();
      } catch (e) {
        setError(describeError(e));
      } finally {
        setBusy(false);
      }
    },
  };
}

/** The consumer picker of the create forms: active consumers only. */
export function ConsumerSelect({ consumers, value, onChange }: { consumers: { id: string; name: string; status: string }[] | undefined; value: string; onChange: (id: string) => void }) {
  return (
    <Field label="Consumer">
      <select value={value} onChange={(e) => onChange(e.currentTarget.value)} required>
        <option value="">Choose…</option>
        {consumers
          ?.filter((c) => c.status === 'active')
          .map((c) => (
            <option value={c.id} key={c.id}>
              {c.name}
            </option>
          ))}
      </select>
    </Field>
  );
}

/** An action's error, then the loaded data (or its loading state, or its error). */
export function Loaded<T>({ actionError, data, error, children }: { actionError?: string | undefined; data: T | undefined; error: string | undefined; children: (data: T) => ComponentChildren }) {
  return (
    <>
      {actionError && <Alert>{actionError}</Alert>}
      {data === undefined ? <Loading error={error} /> : children(data)}
    </>
  );
}

type Action = ReturnType<typeof useAction>;

/** A create form: submitting runs `submit` as the page's action (its error shown by the page). */
export function ActionForm({ action, submit, children }: { action: Action; submit: () => Promise<void>; children: ComponentChildren }) {
  return (
    <form
      class="inline-form"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(submit);
      }}
    >
      {children}
    </form>
  );
}

/** A row's action button; `what` names the row for screen readers; `confirmText` asks first. */
export function ActionButton({ action, label, what, kind = 'secondary', confirmText, run }: { action: Action; label: string; what: string; kind?: 'secondary' | 'danger'; confirmText?: string; run: () => Promise<void> }) {
  return (
    <button type="button" class={kind} disabled={action.busy} onClick={() => (!confirmText || confirm(confirmText)) && void action.run(run)}>
      {label} <span class="sr-only">{what}</span>
    </button>
  );
}
