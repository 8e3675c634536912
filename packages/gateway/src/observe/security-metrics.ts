import type { Metrics } from './metrics.js';
import type { SecurityEvent } from './security-events.js';

/**
 * The metrics every security event moves (docs/operations.md#metrics). Labels come from closed sets:
 * reasons, OAuth error codes, grant types, configured service names; never a client id or an address.
 */
export function countSecurityEvents(metrics: Metrics): (event: SecurityEvent) => void {
  return (event) => {
    switch (event.kind) {
      case 'auth_failed':
        metrics.authFailures.inc({ reason: event.reason });
        break;
      case 'bruteforce_blocked':
        metrics.bruteForceBlocks.inc({ kind: event.target });
        break;
      case 'token_issued':
        metrics.tokensIssued.inc({ grant: event.grant });
        break;
      case 'token_issue_failed':
        metrics.tokenFailures.inc({ reason: event.reason });
        break;
      case 'rate_limited':
        metrics.rateLimited.inc({ service: event.service, subject: event.subject });
        break;
      case 'signature_failed':
        metrics.signatureFailures.inc({ reason: event.reason });
        break;
      case 'insurance_limiter':
        metrics.rateLimitInsurance.inc();
        break;
    }
  };
}
