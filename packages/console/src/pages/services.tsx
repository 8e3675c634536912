import { admin } from '../api.js';
import { Loading, Page, Table, useLoad } from '../components.js';

interface RateLimit {
  requests: number;
  per: number;
}
interface Service {
  name: string;
  upstream: string;
  rateLimit: RateLimit | null;
  routes: { match: string; scopes: string[]; public: boolean; signature: string; rateLimit: RateLimit | null }[];
}

const limit = (l: RateLimit | null) => (l ? `${l.requests} / ${l.per / 1000} s` : '—');

/** Services and routes, read-only: they come from the configuration file. */
export function Services() {
  const { data, error } = useLoad(() => admin.get<{ services: Service[] }>('services'));
  return (
    <Page title="Services and routes">
      <p class="muted">Read-only: edit portcullis.yaml and restart to change them.</p>
      {!data ? (
        <Loading error={error} />
      ) : data.services.length === 0 ? (
        <p class="muted">No services configured.</p>
      ) : (
        data.services.map((s) => (
          <article class="card" key={s.name}>
            <h2>{s.name}</h2>
            <p>
              Upstream <code>{s.upstream}</code> · per-consumer limit {limit(s.rateLimit)}
            </p>
            <Table
              head={['Route', 'Access', 'Scopes', 'Signature', 'Limit']}
              empty="No routes."
              rows={s.routes.map((r) => [<code>{r.match}</code>, r.public ? 'public' : 'credential', r.scopes.join(' ') || '—', r.signature, limit(r.rateLimit)])}
            />
          </article>
        ))
      )}
    </Page>
  );
}
