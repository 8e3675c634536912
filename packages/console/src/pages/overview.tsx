import { admin } from '../api.js';
import { Loading, Page, useLoad } from '../components.js';

interface AccessRecord {
  at: string;
  status: number;
  problem: string | null;
}

const MINUTES = 60;

/** Requests and authentication failures per minute over the last hour, from the access records. */
function bucket(records: AccessRecord[], now: number) {
  const all = new Array<number>(MINUTES).fill(0);
  const failures = new Array<number>(MINUTES).fill(0);
  for (const r of records) {
    const i = MINUTES - 1 - Math.floor((now - new Date(r.at).getTime()) / 60_000);
    if (i < 0 || i >= MINUTES) continue;
    all[i] = (all[i] ?? 0) + 1;
    if (r.status === 401 || r.status === 403) failures[i] = (failures[i] ?? 0) + 1;
  }
  return { all, failures };
}

function Bars({ label, values, kind }: { label: string; values: number[]; kind: string }) {
  const max = Math.max(1, ...values);
  const total = values.reduce((a, b) => a + b, 0);
  return (
    <figure class="chart">
      <figcaption>
        {label}: <strong>{total}</strong> in the last hour (peak {max === 1 && total === 0 ? 0 : max}/min)
      </figcaption>
      <svg viewBox={`0 0 ${MINUTES * 4} 60`} role="img" aria-label={`${label} per minute, last hour`} preserveAspectRatio="none">
        {values.map((v, i) => (
          <rect key={i} class={`bar bar-${kind}`} x={i * 4} y={60 - (v / max) * 58} width={3} height={(v / max) * 58} />
        ))}
      </svg>
    </figure>
  );
}

export function Overview() {
  const { data, error, reload } = useLoad(() => admin.get<{ records: AccessRecord[] }>('access?since=1h&limit=1000'));
  const now = Date.now();
  const series = data ? bucket(data.records, now) : undefined;
  return (
    <Page
      title="Traffic"
      actions={
        <button type="button" class="secondary" onClick={reload}>
          Refresh
        </button>
      }
    >
      {!series ? (
        <Loading error={error} />
      ) : (
        <div class="charts">
          <Bars label="Requests" values={series.all} kind="all" />
          <Bars label="Authentication failures (401/403)" values={series.failures} kind="fail" />
        </div>
      )}
    </Page>
  );
}
