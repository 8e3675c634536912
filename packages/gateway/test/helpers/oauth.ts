import { expect } from 'vitest';
import { fetch as undiciFetch } from 'undici';
import type { Agent } from 'undici';
import type { CredentialGateway, Reply } from './gateway.js';

export interface IssuedClient {
  client_id: string;
  client_secret?: string;
  [field: string]: unknown;
}

/** A fetch that validates the gateway's certificate against the dev CA, for oauth4webapi and jose. */
export function fetchVia(agent: Agent): typeof fetch {
  return ((url: string | URL, init?: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher: agent })) as unknown as typeof fetch;
}

export async function createOAuthClient(t: CredentialGateway, body: Record<string, unknown>): Promise<IssuedClient> {
  const reply = await t.admin('POST', '/admin/v1/clients', body);
  expect(reply.status, reply.text).toBe(201);
  return reply.json() as IssuedClient;
}

/** A form POST to an OAuth endpoint, as any HTTP client would send it. */
export function postForm(t: CredentialGateway, path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Reply> {
  return t.call(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
}

export function basic(clientId: string, secret: string): Record<string, string> {
  const enc = (text: string) => encodeURIComponent(text);
  return { authorization: `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64')}` };
}

/** client_credentials with client_secret_basic: the access token. */
export async function tokenFor(t: CredentialGateway, client: IssuedClient, scope?: string): Promise<string> {
  const reply = await postForm(t, '/oauth/token', { grant_type: 'client_credentials', ...(scope ? { scope } : {}) }, basic(client.client_id, client.client_secret as string));
  expect(reply.status, reply.text).toBe(200);
  return (reply.json() as { access_token: string }).access_token;
}
