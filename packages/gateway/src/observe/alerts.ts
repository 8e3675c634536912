import { randomUUID } from 'node:crypto';

export const ALERT_RULES = [
  'failure-spike',
  'new-network',
  'traffic-shift',
  'key-age',
  'token-failures',
  'brute-force',
  'leaked-key',
  'audit-integrity',
] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

export interface Alert {
  readonly id: string;
  readonly at: Date;
  readonly rule: AlertRule;
  readonly severity: 'low' | 'medium' | 'high' | 'critical';
  /** What the alert is about, e.g. `ip:203.0.113.7`, `consumer:con_x`, `key:AbC`. */
  readonly subject: string;
  readonly message: string;
  readonly detail: Record<string, unknown>;
}

export function newAlert(fields: Omit<Alert, 'id' | 'at'>, at: Date): Alert {
  return { id: `alr_${randomUUID().replaceAll('-', '')}`, at, ...fields };
}

// The SQL is in the repository; the admin routes read alerts through these names.
export { queryAlerts } from './alert-repository.js';
export type { StoredAlert } from './alert-repository.js';

export function describeAlert(a: Alert) {
  return { id: a.id, at: a.at.toISOString(), rule: a.rule, severity: a.severity, subject: a.subject, message: a.message, detail: a.detail };
}
