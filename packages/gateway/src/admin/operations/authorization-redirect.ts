import { z } from 'zod';

/** Where the login page sends the browser back: the client's redirect URI with the answer (RFC 6749 §4.1.2, RFC 9207 `iss`). */
export function redirectTo(issuer: string, back: { redirectUri: string; state: string | undefined }, params: Record<string, string>): string {
  const target = new URL(back.redirectUri);
  for (const [name, value] of Object.entries({ ...params, ...(back.state === undefined ? {} : { state: back.state }), iss: issuer })) target.searchParams.set(name, value);
  return target.toString();
}

export const redirectView = z.object({ redirectTo: z.string() });

export const NO_PENDING_REQUEST = 'No pending authorization request with this id (they expire after 10 minutes and work once).';
