import { z } from 'zod';
import { durationSchema } from './syntax.js';
import { ssoSchema } from './sso-schema.js';

/**
 * The web console and its sign-in (docs/console.md). Every default lives here; docs/configuration.md
 * describes each key.
 */
export const consoleSchema = z
  .strictObject({
    /** Serve the console under /console on the admin listener. The admin API works either way. */
    enabled: z.boolean().default(true),
    session: z
      .strictObject({
        /** A session unused this long ends (OWASP: 15 to 30 minutes for high-value applications). */
        idleTimeout: durationSchema('30m').default(30 * 60_000),
        /** A session ends this long after sign-in, used or not. */
        absoluteTimeout: durationSchema('12h').default(12 * 3_600_000),
      })
      .prefault({})
      .refine((s) => s.idleTimeout <= s.absoluteTimeout, { message: 'idleTimeout must not be longer than absoluteTimeout', path: ['idleTimeout'] }),
    /** How long a one-time setup link works. */
    setupLinkLifetime: durationSchema('1h').default(3_600_000).refine((ms) => ms <= 7 * 86_400_000, 'at most 7d: a setup link is a password in waiting'),
    login: z
      .strictObject({
        /** Failed sign-ins per user name and client address answered at once; after that each waits twice as long. */
        freeFailures: z.number().int().min(1).max(100).default(5),
        /** The longest wait between attempts once throttled. */
        maxDelay: durationSchema('15m').default(15 * 60_000),
      })
      .prefault({}),
    /** The name authenticator apps show beside the code. */
    totpIssuer: z.string().min(1).max(64).default('Portcullis'),
    /** Single sign-on through SAML or OIDC identity providers (docs/sso.md). */
    sso: ssoSchema.optional(),
  })
  .prefault({});
