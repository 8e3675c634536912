import { z } from 'zod';
import { durationSchema } from '../config/syntax.js';
import type { SigningKeys } from '../credentials/signing-keys.js';
import type { Clock } from '../state/clock.js';
import type { Database } from '../store/sql.js';
import { readJson } from './http.js';
import type { AdminRoute } from './routes.js';

/** Long enough for resource servers that cache the JWKS (jose's default cacheMaxAge is 10 minutes). */
const DEFAULT_LEAD_MS = 15 * 60_000;

const rotateBody = z.strictObject({ lead: durationSchema('15m').optional() });

/** The token signing keys in the admin API (`portcullis signing-keys list|rotate`). */
export function signingKeyRoutes(keys: SigningKeys, db: Database, clock: Clock): AdminRoute[] {
  const describe = () => {
    const now = clock();
    const current = keys.current(now).kid;
    return keys.published(now).map((k) => ({ kid: k.kid, alg: k.alg, signsFrom: new Date(k.signsFrom).toISOString(), status: k.kid === current ? 'signing' : k.signsFrom > now ? 'next' : 'retired' }));
  };
  return [
    {
      method: 'GET',
      pattern: /^\/admin\/v1\/signing-keys$/,
      handle: async () => ({ status: 200, body: { keys: describe() } }),
    },
    {
      method: 'POST',
      pattern: /^\/admin\/v1\/signing-keys\/rotate$/,
      roles: ['owner', 'admin'],
      handle: async ({ req, admin }) => {
        const body = await readJson(req, rotateBody);
        const next = await keys.rotate(admin.tokenId, body.lead ?? DEFAULT_LEAD_MS);
        return { status: 201, body: { kid: next.kid, signsFrom: next.signsFrom.toISOString(), keys: describe() } };
      },
    },
  ];
}
