import type { Database, Sql } from '../store/sql.js';
import { selectNewestFirst } from '../store/filtered-query.js';
import type { Alert, AlertRule } from './alerts.js';
import { appendAudit } from './audit.js';

/** SQL for alerts: each stored with its audit record, and read back in filtered pages. */

/** Stored and audited together: an alert is never in one and not the other. */
export async function recordAlert(db: Database, alert: Alert): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('INSERT INTO alerts (id, at, rule, severity, subject, message, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
      alert.id, alert.at.toISOString(), alert.rule, alert.severity, alert.subject, alert.message, JSON.stringify(alert.detail),
    ]);
    await appendAudit(tx, { actor: 'system', action: `alert.${alert.rule}`, target: alert.subject, detail: { alertId: alert.id, severity: alert.severity, message: alert.message, ...alert.detail } }, alert.at);
  });
}

export interface StoredAlert extends Alert {
  readonly seq: string;
}

/** Newest first; `seq` is the insertion order (alert ids are random), used as the page cursor. */
export async function queryAlerts(sql: Sql, filter: { rule?: string; subject?: string; since?: Date; before?: string }, limit: number): Promise<StoredAlert[]> {
  const rows = await selectNewestFirst(
    sql,
    'SELECT seq, id, at, rule, severity, subject, message, detail FROM alerts',
    [
      ['rule = ?', filter.rule],
      ['subject = ?', filter.subject],
      ['at >= ?', filter.since?.toISOString()],
      ['seq < ?', filter.before],
    ],
    limit,
  );
  return rows.map((r) => ({
    seq: r.seq as string, id: r.id as string, at: r.at as Date, rule: r.rule as AlertRule, severity: r.severity as Alert['severity'],
    subject: r.subject as string, message: r.message as string, detail: r.detail as Record<string, unknown>,
  }));
}
