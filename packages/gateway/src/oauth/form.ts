import type { IncomingMessage } from 'node:http';
import { oauthError } from '../http/oauth-errors.js';
import type { OAuthError } from '../http/oauth-errors.js';

/** Token requests are small; anything larger is not one (STYLE.md practice 8: bound what an attacker grows). */
const MAX_FORM_BYTES = 16 * 1024;

/** The parameters of an OAuth request: each at most once (RFC 6749 §3.1, §3.2). */
export type FormParams = ReadonlyMap<string, string>;

/** Reads an application/x-www-form-urlencoded body (RFC 6749 §4.4.2), bounded, refusing repeated parameters. */
export async function readForm(req: IncomingMessage): Promise<FormParams | OAuthError> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
    req.resume();
    return oauthError('invalid_request', 'Send the parameters as application/x-www-form-urlencoded.');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) return oauthError('invalid_request', `The request body is larger than ${MAX_FORM_BYTES} bytes.`, { status: 413 });
    chunks.push(chunk);
  }
  const params = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) {
    if (params.has(name)) return oauthError('invalid_request', `The parameter "${name}" is repeated.`);
    // RFC 6749 §3.1: parameters sent without a value are treated as omitted.
    if (value !== '') params.set(name, value);
  }
  return params;
}
