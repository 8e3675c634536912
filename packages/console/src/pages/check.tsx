import { admin } from '../api.js';
import { Alert, Loading, Page, Table, useLoad } from '../components.js';

interface Finding {
  ruleId: string;
  severity: string;
  title: string;
  message: string;
  fix: string;
}

/** `portcullis check`, run by the gateway against itself. */
export function Check() {
  const { data, error, reload } = useLoad(() => admin.get<{ findings: Finding[] }>('check'));
  return (
    <Page
      title="Checks"
      actions={
        <button type="button" class="secondary" onClick={reload}>
          Run again
        </button>
      }
    >
      {!data ? (
        <Loading error={error} />
      ) : data.findings.length === 0 ? (
        <Alert kind="ok">All checks passed.</Alert>
      ) : (
        <Table
          head={['Severity', 'Rule', 'Finding', 'Fix']}
          empty="All checks passed."
          rows={data.findings.map((f) => [<span class={`badge badge-${f.severity}`}>{f.severity}</span>, `${f.ruleId} ${f.title}`, f.message, f.fix])}
        />
      )}
    </Page>
  );
}
