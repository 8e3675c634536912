import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';
import { baseHeaders } from '../http/headers.js';

/** Where `npm run build` puts the console (the gateway's dist/console-ui), from src/console or dist/console alike. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../dist/console-ui/', import.meta.url));

/**
 * A strict policy: scripts and styles from this origin only, no inline script or style, no framing,
 * requests only back to the admin listener (it is the only thing the console talks to).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function securityHeaders(requestId: string): string[] {
  return [
    ...baseHeaders(requestId),
    'content-security-policy', CONSOLE_CSP,
    'x-content-type-options', 'nosniff',
    'x-frame-options', 'DENY',
    'referrer-policy', 'no-referrer',
    'cross-origin-opener-policy', 'same-origin',
    'cross-origin-resource-policy', 'same-origin',
    'permissions-policy', 'camera=(), microphone=(), geolocation=()',
  ];
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

/**
 * Serves the built console: hashed assets by name (cached for a year), every other path under
 * /console the single page (never cached, so a new build is picked up at once). False when the
 * console was not built.
 */
export async function serveConsoleFile(dir: string, path: string, res: ServerResponse, requestId: string): Promise<boolean> {
  const relative = normalize(decodeURIComponent(path.slice('/console/'.length) || 'index.html'));
  const asset = relative.startsWith('assets' + sep) && !relative.includes('..') && TYPES[extname(relative)];
  const file = asset ? join(dir, relative) : join(dir, 'index.html');
  let body: Buffer;
  try {
    if (!(await stat(file)).isFile()) return false;
    body = await readFile(file);
  } catch {
    return false;
  }
  res.writeHead(200, [
    ...securityHeaders(requestId),
    'content-type', TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length', String(body.length),
    'cache-control', asset ? 'public, max-age=31536000, immutable' : 'no-store',
  ]);
  res.end(body);
  return true;
}
