import { X509Certificate, createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect } from 'node:tls';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';

/** Debian's Chromium; never a downloaded browser. Browser tests skip, saying so, when it is missing. */
export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

export function browserSkipMessage(what: string): void {
  if (!haveChromium) console.log(`[skipped] ${what}: ${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)`);
}

/** The SHA-256 of the server certificate's public key, as Chromium's --ignore-certificate-errors-spki-list wants it. */
export async function spkiHash(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  const raw = await new Promise<Buffer>((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), rejectUnauthorized: false }, () => {
      const peer = socket.getPeerCertificate();
      socket.end();
      resolve(peer.raw);
    });
    socket.on('error', reject);
  });
  const spki = new X509Certificate(raw).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/**
 * One headless Chromium per test file, trusting exactly the gateway's own (dev CA) certificate by its
 * key, so TLS stays real and nothing else is accepted. Playwright gives each launch a fresh, temporary
 * profile (user-data-dir) and removes it on close.
 */
export async function launchBrowser(trustSpki: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--ignore-certificate-errors-spki-list=${trustSpki}`,
    ],
  });
}
