import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { request } from 'undici';
import { browserSkipMessage, haveChromium, launchBrowser, spkiHash } from '../helpers/browser.js';
import { totpAt } from '../helpers/console.js';
import { startTestGateway } from '../helpers/gateway.js';
import type { TestGateway } from '../helpers/gateway.js';
import { startRecordingUpstream } from '../helpers/upstream.js';

/**
 * Waits (5 s at most) for focus to land on the page's content, `#main`. Polled from here with
 * page.evaluate: waitForFunction re-evaluates a string inside the page with eval, which the console's
 * Content-Security-Policy rightly refuses (`script-src 'self'`), so it failed whenever the first check
 * came before the focus moved.
 */
async function focusLandsOnMain(page: Page): Promise<void> {
  const deadline = Date.now() + 5_000;
  while ((await page.evaluate('document.activeElement?.id')) !== 'main') {
    if (Date.now() > deadline) throw new Error('focus did not land on #main within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

browserSkipMessage('console browser tests');

/** PORTCULLIS_SCREENSHOTS=docs/images: the run also refreshes the screenshots in docs/console.md. */
const SHOTS = process.env.PORTCULLIS_SCREENSHOTS;

describe.skipIf(!haveChromium)('the console in a browser (Debian Chromium)', () => {
  let gw: TestGateway;
  let upstream: Awaited<ReturnType<typeof startRecordingUpstream>>;
  let browser: Browser;
  let owner: BrowserContext;
  let page: Page;
  const violations: string[] = [];
  let auditorSetup: string;

  async function shot(p: Page, name: string) {
    if (!SHOTS) return;
    mkdirSync(SHOTS, { recursive: true });
    // Secrets are masked: even a throwaway gateway's key does not belong in a committed image.
    const mask = [p.getByTestId('secret'), p.getByTestId('totp-secret'), p.getByTestId('recovery-codes'), p.locator('.qr img')];
    await p.screenshot({ path: `${SHOTS}/console-${name}.png`, fullPage: true, mask });
  }

  function watch(p: Page) {
    p.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
  }

  /** Opens a setup link and enrols (password + TOTP from the secret shown under the QR code). */
  async function enrol(p: Page, link: string, password: string, screenshot?: string): Promise<void> {
    await p.goto(link);
    await p.getByRole('heading', { name: 'Set up your account' }).waitFor();
    await p.getByTestId('totp-secret').waitFor();
    // The token leaves the address bar as soon as it is read.
    expect(p.url()).not.toContain('token=');
    if (screenshot) await shot(p, screenshot);
    await p.getByLabel('New password').fill(password);
    await p.getByLabel('Repeat the password').fill(password);
    const secret = (await p.getByTestId('totp-secret').textContent()) as string;
    await expectQr(p);
    await p.getByLabel('Code shown by the app').fill(totpAt(secret, Date.now()));
    await p.getByRole('button', { name: 'Finish setup' }).click();
    await p.getByTestId('recovery-codes').waitFor();
    expect(await p.getByTestId('recovery-codes').locator('li').count()).toBe(10);
  }

  async function expectQr(p: Page) {
    const qr = p.getByRole('img', { name: 'QR code for your authenticator app' });
    expect(await qr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(await qr.evaluate((img: { complete: boolean; naturalWidth: number }) => img.complete && img.naturalWidth > 0)).toBe(true);
  }

  beforeAll(async () => {
    upstream = await startRecordingUpstream();
    gw = await startTestGateway({
      services: [{ name: 'companies', upstream: upstream.url, routes: [{ match: 'GET /companies/*', scopes: ['companies:read'] }] }],
    });
    browser = await launchBrowser(await spkiHash(gw.gateway.adminUrl));
    owner = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    owner.setDefaultTimeout(5_000);
    page = await owner.newPage();
    watch(page);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await gw?.stop();
    await upstream?.close();
  });

  it('serves the console with a strict Content-Security-Policy and no inline script', async () => {
    const res = await gw.admin('/console/');
    expect(res.status).toBe(200);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('first start: the owner opens the printed setup link, sets a password and enrols TOTP', async () => {
    const link = gw.gateway.console.setupUrl as string;
    await enrol(page, link, 'the owner keeps the keys 9', 'setup');
    await page.getByRole('button', { name: /open the console/ }).click();
    await page.getByRole('heading', { name: 'Traffic' }).waitFor();
    // The link worked once: opening it again signs nobody in.
    const again = await browser.newContext();
    const second = await again.newPage();
    await second.goto(link);
    await second.getByRole('alert').waitFor();
    expect(await second.getByRole('alert').textContent()).toMatch(/not valid/);
    await again.close();
  });

  it('creates a consumer and a key in the console; the key then works through the gateway', async () => {
    await page.getByRole('link', { name: 'Consumers' }).click();
    await page.getByLabel('New consumer name').fill('acme');
    await page.getByRole('button', { name: 'Create consumer' }).click();
    await page.getByRole('cell', { name: 'acme', exact: true }).waitFor();
    await shot(page, 'consumers');
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByLabel('Consumer').selectOption({ label: 'acme' });
    await page.getByLabel('Scopes').fill('companies:read');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('secret').textContent()) as string;
    expect(key).toMatch(/^pck_/);
    await page.getByRole('cell', { name: 'companies:read', exact: true }).waitFor();
    await shot(page, 'keys');

    const res = await request(`${gw.gateway.url}/companies/1`, { dispatcher: gw.agent, headers: { authorization: `Bearer ${key}` } });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toEqual({ ok: true });
    expect(upstream.seen.at(-1)?.url).toBe('/companies/1');
    // A little more traffic, some of it refused, for the charts.
    for (const authorization of [`Bearer ${key}`, `Bearer ${key}`, 'Bearer pck_wrong', `Bearer ${key}`, 'Bearer nope']) {
      const more = await request(`${gw.gateway.url}/companies/2`, { dispatcher: gw.agent, headers: { authorization } });
      await more.body.dump();
    }
    await gw.gateway.operations.flush();
  });

  it('lets the owner add an auditor, whose setup link is shown once with a copy button', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByLabel('User name').fill('audrey');
    await page.getByRole('combobox', { name: /^Role\b/ }).first().selectOption('auditor');
    await page.getByRole('button', { name: 'Add user' }).click();
    auditorSetup = (await page.getByTestId('secret').textContent()) as string;
    expect(auditorSetup).toContain('/console/setup#token=');
    await page.getByRole('button', { name: 'Copy' }).waitFor();
    await page.getByRole('cell', { name: 'audrey', exact: true }).waitFor();
    await shot(page, 'users');
    for (const name of ['Services', 'Alerts', 'Audit log', 'Traffic']) {
      await page.getByRole('link', { name }).click();
      await page.getByRole('heading', { level: 1 }).filter({ hasText: name === 'Audit log' ? 'Audit log' : name === 'Services' ? 'Services and routes' : name }).waitFor();
      if (name === 'Audit log') await page.getByText(/Chain intact/).waitFor();
      if (name === 'Services') await page.getByRole('cell', { name: 'GET /companies/*', exact: true }).waitFor();
      await shot(page, name.toLowerCase().replace(' log', ''));
    }
  });

  it('shows the findings of portcullis check, run by the gateway against itself', async () => {
    await page.getByRole('link', { name: 'Checks' }).click();
    await page.getByRole('heading', { name: 'Checks' }).waitFor();
    // The test's service has no rate limit: the check says so, with its fix.
    await page.getByRole('cell', { name: /check\/route-without-rate-limit/ }).waitFor({ timeout: 15_000 });
    expect(await page.locator('main').textContent()).toContain('rateLimit');
    await shot(page, 'check');
  });

  it('shows an auditor no write controls, and refuses their direct API write', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } }); // a phone
    context.setDefaultTimeout(5_000);
    const auditor = await context.newPage();
    watch(auditor);
    await enrol(auditor, auditorSetup, 'auditors read, never write 3');
    await auditor.getByRole('button', { name: /open the console/ }).click();
    await auditor.getByRole('heading', { name: 'Traffic' }).waitFor();
    await auditor.getByRole('link', { name: 'API keys' }).click();
    await auditor.getByRole('cell', { name: 'companies:read', exact: true }).waitFor();
    expect(await auditor.getByRole('button', { name: /Create|Rotate|Revoke/ }).count()).toBe(0);
    await shot(auditor, 'auditor-phone');
    await auditor.getByRole('link', { name: 'Consumers' }).click();
    await auditor.getByRole('cell', { name: 'acme', exact: true }).waitFor();
    expect(await auditor.getByRole('button', { name: /Create|Disable|Enable/ }).count()).toBe(0);
    expect(await auditor.getByRole('link', { name: 'Users' }).count()).toBe(0);

    // The API refuses what the page does not offer, CSRF token and all.
    const status = await auditor.evaluate(async () => {
      const session = (await (await fetch('/console/api/session')).json()) as { csrfToken: string };
      const res = await fetch('/admin/v1/consumers', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
        body: JSON.stringify({ name: 'by-the-auditor' }),
      });
      return res.status;
    });
    expect(status).toBe(403);
    await context.close();
  });

  it('is keyboard usable: focus lands on the page, the navigation is reached and followed by keys alone', async () => {
    await page.goto(`${gw.gateway.adminUrl}/console/`);
    await page.getByRole('heading', { name: 'Traffic' }).waitFor();
    // Each page moves focus to its content (screen readers announce it), in an effect after the first
    // paint; a skip link comes first of all.
    await focusLandsOnMain(page);
    expect(await page.evaluate("document.querySelector('a, button, input, select')?.textContent")).toBe('Skip to content');
    let reached = false;
    for (let i = 0; i < 12 && !reached; i++) {
      await page.keyboard.press('Shift+Tab');
      reached = (await page.evaluate('document.activeElement?.textContent')) === 'Consumers';
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Consumers' }).waitFor();
    // Tab before the page has moved focus to its content would move on from the navigation link.
    await focusLandsOnMain(page);
    await page.keyboard.press('Tab');
    expect(await page.evaluate("document.activeElement?.closest('label')?.textContent")).toBe('New consumer name');
  });

  it('signs out on the server, and met no Content-Security-Policy violation', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shot(page, 'sign-in');
    const status = await page.evaluate(async () => (await fetch('/admin/v1/consumers')).status);
    expect(status).toBe(401);
    expect(violations).toEqual([]);
  });
});
