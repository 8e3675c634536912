/**
 * The console's only way out: same-origin calls to the admin listener. The session cookie is
 * HttpOnly (scripts never see it); state-changing calls carry the CSRF token the session answered with.
 */

export type Role = 'owner' | 'admin' | 'developer' | 'auditor';

export interface Session {
  stage: 'enrol' | 'mfa' | 'active';
  role: Role;
  subject: string;
  username: string;
  csrfToken: string;
  expiresAt: string;
  next?: string;
  recoveryCodes?: string[];
}

export interface Problem {
  status: number;
  title: string;
  detail?: string;
  errors?: { field: string; detail: string }[];
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
}

let csrfToken: string | undefined;
let onSignedOut: (() => void) | undefined;

export function useSession(session: Session | undefined): void {
  csrfToken = session?.csrfToken;
}

export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

export async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    redirect: 'error',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const json: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const problem = (json ?? { status: res.status, title: res.statusText }) as Problem;
    if (res.status === 401 && path.startsWith('/admin/')) onSignedOut?.();
    throw new ApiError(problem);
  }
  return json as T;
}

export const admin = {
  get: <T>(path: string) => call<T>('GET', `/admin/v1/${path}`),
  post: <T>(path: string, body: unknown = {}) => call<T>('POST', `/admin/v1/${path}`, body),
};

export const signIn = {
  session: () => call<Session>('GET', '/console/api/session'),
  login: (username: string, password: string, returnTo: string) => call<Session>('POST', '/console/api/login', { username, password, returnTo }),
  mfa: (code: string) => call<Session>('POST', '/console/api/mfa', { code }),
  setup: (token: string) => call<Session>('POST', '/console/api/setup', { token }),
  totp: () => call<{ secret: string; uri: string; qr: string; username: string }>('POST', '/console/api/enrol/totp', {}),
  finish: (password: string, code: string) => call<Session>('POST', '/console/api/enrol/finish', { password, code }),
  logout: () => call<unknown>('POST', '/console/api/logout', {}),
};

/** A problem as one readable sentence, with field errors when the API named them. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const fields = error.problem.errors?.map((e) => `${e.field}: ${e.detail}`).join('; ');
    return [error.problem.detail ?? error.problem.title, fields].filter(Boolean).join(' — ');
  }
  return error instanceof Error ? error.message : String(error);
}
