import { generateSync } from 'otplib';
import type { Reply, TestGateway } from './gateway.js';

/** A strong password for tests; planted secrets are searched for in the logs. */
export const OWNER_PASSWORD = 'correct horse battery staple 7';

/** A TOTP code for `secret` at `nowMs` (what the authenticator app shows). */
export function totpAt(secret: string, nowMs: number): string {
  return generateSync({ secret, epoch: Math.floor(nowMs / 1000) });
}

/** A browser-like client of the console's sign-in API and the admin API: keeps the session cookie and CSRF token. */
export class ConsoleClient {
  cookie: string | undefined;
  csrf: string | undefined;

  constructor(
    private readonly gw: TestGateway,
    private readonly headers: Record<string, string> = {},
  ) {}

  async send(method: string, path: string, body?: unknown, options: { csrf?: boolean } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...this.headers };
    if (this.cookie) headers.cookie = this.cookie;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET' && options.csrf !== false && this.csrf) headers['x-csrf-token'] = this.csrf;
    const reply = await this.gw.admin(path, { method: method as 'GET', headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const set = reply.headers['set-cookie'];
    const first = Array.isArray(set) ? set[0] : set;
    if (first) this.cookie = first.split(';')[0]?.endsWith('=') ? undefined : first.split(';')[0];
    if (reply.status === 200 && path.startsWith('/console/api/')) {
      const token = (reply.json() as { csrfToken?: string }).csrfToken;
      if (token) this.csrf = token;
    }
    return reply;
  }

  /** Opens a setup link and enrols: password and TOTP. Returns the TOTP secret and the recovery codes. */
  async enrol(setupUrl: string, now: number, password = OWNER_PASSWORD): Promise<{ secret: string; recoveryCodes: string[] }> {
    const token = new URL(setupUrl).hash.replace('#token=', '');
    const setup = await this.send('POST', '/console/api/setup', { token });
    if (setup.status !== 200) throw new Error(`setup: ${setup.status} ${setup.text} ${this.gw.logs.lines.filter((l) => l.includes("failed")).join("\n")}`);
    const totp = await this.send('POST', '/console/api/enrol/totp', {});
    const { secret } = totp.json() as { secret: string };
    const done = await this.send('POST', '/console/api/enrol/finish', { password, code: totpAt(secret, now) });
    if (done.status !== 200) throw new Error(`enrol: ${done.status} ${done.text}`);
    return { secret, recoveryCodes: (done.json() as { recoveryCodes: string[] }).recoveryCodes };
  }

  async signIn(username: string, password: string, code: string): Promise<Reply> {
    const login = await this.send('POST', '/console/api/login', { username, password });
    if (login.status !== 200) return login;
    return this.send('POST', '/console/api/mfa', { code });
  }
}
