import { z } from 'zod';
import { finishAuthorization } from '../credentials/authorization-code.js';
import type { FlowDeps } from '../credentials/authorization-code.js';
import { ID, readJson, refuse } from './http.js';
import type { AdminRoute } from './routes.js';

const approveBody = z.strictObject({ subject: z.string().min(1).max(255) });

/**
 * The login page's side of authorization_code: it authenticates the user its own way, then approves
 * or denies the pending request here and sends the browser to `redirectTo`.
 */
export function authorizationRoutes(deps: FlowDeps, issuer: () => string): AdminRoute[] {
  const redirectTo = (back: { redirectUri: string; state: string | undefined }, params: Record<string, string>) => {
    const target = new URL(back.redirectUri);
    for (const [name, value] of Object.entries({ ...params, ...(back.state === undefined ? {} : { state: back.state }), iss: issuer() })) target.searchParams.set(name, value);
    return target.toString();
  };
  return [
    {
      method: 'POST',
      pattern: new RegExp(`^/admin/v1/authorizations/${ID}/approve$`),
      handle: async ({ req, params }) => {
        const body = await readJson(req, approveBody);
        const back = await finishAuthorization(deps, params[0] as string, body.subject);
        if (!back?.code) return refuse('not-found', 'No pending authorization request with this id (they expire after 10 minutes and work once).');
        return { status: 200, body: { redirectTo: redirectTo(back, { code: back.code }) } };
      },
    },
    {
      method: 'POST',
      pattern: new RegExp(`^/admin/v1/authorizations/${ID}/deny$`),
      handle: async ({ params }) => {
        const back = await finishAuthorization(deps, params[0] as string, undefined);
        if (!back) return refuse('not-found', 'No pending authorization request with this id (they expire after 10 minutes and work once).');
        return { status: 200, body: { redirectTo: redirectTo(back, { error: 'access_denied' }) } };
      },
    },
  ];
}
