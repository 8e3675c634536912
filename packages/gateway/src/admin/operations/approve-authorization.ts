import { z } from 'zod';
import { finishAuthorization } from '../../credentials/authorization-code.js';
import { refuse } from '../http.js';
import { defineOperation, idSchema } from '../operation.js';
import { NO_PENDING_REQUEST, redirectTo, redirectView } from './authorization-redirect.js';

export const approveAuthorizationBody = z.strictObject({ subject: z.string().min(1).max(255) });

/**
 * The login page's side of authorization_code: it authenticates the user its own way, then approves
 * the pending request here and sends the browser to `redirectTo`.
 */
export const approveAuthorizationOperation = defineOperation({
  id: 'approveAuthorization',
  method: 'POST',
  path: '/authorizations/{id}/approve',
  summary: 'Approve a pending authorization_code request for a user (the login page)',
  permission: 'authorizations:write',
  scope: 'global',
  request: { params: z.object({ id: idSchema }), body: approveAuthorizationBody },
  response: { status: 200, description: 'where to send the browser back, with the code', schema: redirectView },
  handle: async ({ actor, params, body }, { flow, issuer }) => {
    const back = await finishAuthorization(flow, params.id, body.subject, actor.id);
    if (!back?.code) return refuse('not-found', NO_PENDING_REQUEST);
    return { redirectTo: redirectTo(issuer(), back, { code: back.code }) };
  },
});
