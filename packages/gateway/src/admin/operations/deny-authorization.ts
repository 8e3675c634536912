import { z } from 'zod';
import { finishAuthorization } from '../../credentials/authorization-code.js';
import { refuse } from '../http.js';
import { defineOperation, idSchema } from '../operation.js';
import { NO_PENDING_REQUEST, redirectTo, redirectView } from './authorization-redirect.js';

export const denyAuthorizationOperation = defineOperation({
  id: 'denyAuthorization',
  method: 'POST',
  path: '/authorizations/{id}/deny',
  summary: 'Deny a pending authorization_code request (the login page)',
  permission: 'authorizations:write',
  scope: 'global',
  request: { params: z.object({ id: idSchema }) },
  response: { status: 200, description: 'where to send the browser back, with error=access_denied', schema: redirectView },
  handle: async ({ actor, params }, { flow, issuer }) => {
    const back = await finishAuthorization(flow, params.id, undefined, actor.id);
    if (!back) return refuse('not-found', NO_PENDING_REQUEST);
    return { redirectTo: redirectTo(issuer(), back, { error: 'access_denied' }) };
  },
});
