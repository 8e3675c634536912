import { admin } from '../api.js';
import { Loading, Page, Table, useLoad, when } from '../components.js';

interface AlertRecord {
  id: string;
  at: string;
  rule: string;
  severity: string;
  subject: string;
  message: string;
}

/** Rate-limit and anomaly alerts, newest first. */
export function Alerts() {
  const { data, error } = useLoad(() => admin.get<{ alerts: AlertRecord[] }>('alerts?limit=200'));
  return (
    <Page title="Alerts">
      {!data ? (
        <Loading error={error} />
      ) : (
        <Table
          head={['When', 'Rule', 'Severity', 'Subject', 'What happened']}
          empty="No alerts."
          rows={data.alerts.map((a) => [when(a.at), a.rule, <span class={`badge badge-${a.severity}`}>{a.severity}</span>, <code>{a.subject}</code>, a.message])}
        />
      )}
    </Page>
  );
}
