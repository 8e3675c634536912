/**
 * RFC 9421 §2: the components a signature covers and the signature base built from them. Only request
 * components; a component with parameters (`;sf`, `;key`, `;bs`, `;req`, `@query-param`) is refused
 * rather than half-supported.
 */
import { serializeInnerList, serializeString } from 'structured-headers';
import type { InnerList } from 'structured-headers';

export interface SignableRequest {
  readonly method: string;
  /** The absolute target URI, e.g. `https://api.example.com/companies?page=2`. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Why a signature base could not be built: the signer or verifier names a component the message lacks. */
export class SignatureBaseError extends Error {
  readonly code = 'component-unavailable';
}

function headerValue(request: SignableRequest, name: string): string | undefined {
  const direct = request.headers[name];
  if (direct !== undefined) return direct;
  for (const [key, value] of Object.entries(request.headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** RFC 9421 §2.2: the value of one derived component of a request. */
function derivedValue(request: SignableRequest, name: string): string {
  if (name === '@method') return request.method;
  if (name === '@target-uri') return request.url;
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    throw new SignatureBaseError('the request url is not an absolute URI');
  }
  switch (name) {
    case '@authority':
      return url.host; // lower-cased, default port dropped (RFC 9421 §2.2.3)
    case '@scheme':
      return url.protocol.slice(0, -1);
    case '@request-target':
      return url.pathname + url.search;
    case '@path':
      return url.pathname || '/';
    case '@query':
      return url.search || '?'; // an absent query is `?` alone (RFC 9421 §2.2.7)
    default:
      throw new SignatureBaseError(`unsupported component ${name}`);
  }
}

/** RFC 9421 §2.1: a field value is trimmed; a line break in it would forge another line of the base. */
function componentValue(request: SignableRequest, name: string): string {
  if (name.startsWith('@')) return derivedValue(request, name);
  if (name !== name.toLowerCase()) throw new SignatureBaseError('component names are lower case');
  const value = headerValue(request, name);
  if (value === undefined) throw new SignatureBaseError(`the request has no ${name} field`);
  if (/[\r\n]/.test(value)) throw new SignatureBaseError(`the ${name} field contains a line break`);
  return value.trim();
}

/** The signature base (RFC 9421 §2.5) for `params`, the parsed or to-be-sent `Signature-Input` member. */
export function signatureBase(request: SignableRequest, params: InnerList): string {
  const [items] = params;
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const [name, componentParams] of items) {
    if (typeof name !== 'string') throw new SignatureBaseError('a component identifier is a string');
    if (componentParams.size > 0) throw new SignatureBaseError(`unsupported parameters on ${name}`);
    if (seen.has(name)) throw new SignatureBaseError(`${name} is covered twice`);
    seen.add(name);
    lines.push(`${serializeString(name)}: ${componentValue(request, name)}`);
  }
  lines.push(`"@signature-params": ${serializeInnerList(params)}`);
  return lines.join('\n');
}
