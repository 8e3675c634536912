import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * Start-up time (docs/performance.md, "Startup"): loading the CLI and the gateway must not load the
 * packages that only an optional feature needs. Each is imported where that feature is first used.
 * Runs the built code (dist) in a fresh process, as `portcullis start` does.
 */
const FIXTURE = fileURLToPath(new URL('../fixtures/loaded-packages.js', import.meta.url));
const STARTUP = ['../../dist/cli/main.js', '../../dist/server/gateway.js'].map((path) => new URL(path, import.meta.url).href);

const OPTIONAL: Record<string, string> = {
  ioredis: 'redis.url',
  pg: 'a PostgreSQL database, its change bus, `portcullis check`',
  '@node-saml/node-saml': 'console SSO with SAML',
  'openid-client': 'console SSO with OIDC',
  qrcode: 'console TOTP enrolment',
  otplib: 'console TOTP enrolment and sign-in',
  semver: '`portcullis scan --deps`',
  ignore: '`portcullis scan`',
  '@opentelemetry/exporter-trace-otlp-http': 'OTLP tracing',
  '@opentelemetry/sdk-trace-base': 'OTLP tracing',
  '@opentelemetry/resources': 'OTLP tracing',
};

describe('start-up modules', () => {
  it('loading the CLI and the gateway loads none of the optional packages', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [FIXTURE, JSON.stringify(STARTUP), JSON.stringify(Object.keys(OPTIONAL))]);
    const { atStart, afterUse } = JSON.parse(stdout) as { atStart: string[]; afterUse: string[] };

    // Controls, so an empty list cannot pass: packages every start needs are seen (zod is an ES module,
    // undici CommonJS), and so is each optional package once it is loaded.
    expect(atStart).toEqual(expect.arrayContaining(['zod', 'undici']));
    expect(afterUse).toEqual(expect.arrayContaining(Object.keys(OPTIONAL)));

    const loaded = Object.keys(OPTIONAL).filter((name) => atStart.includes(name));
    expect(loaded.map((name) => `${name} (only needed for ${OPTIONAL[name]})`)).toEqual([]);
  });

  it('the CLI alone does not load undici: `portcullis start` opens the store before the gateway (and undici) loads', async () => {
    const cliOnly = [STARTUP[0] as string];
    const { stdout } = await promisify(execFile)(process.execPath, [FIXTURE, JSON.stringify(cliOnly), JSON.stringify(['undici'])]);
    const { atStart, afterUse } = JSON.parse(stdout) as { atStart: string[]; afterUse: string[] };
    expect(atStart).toEqual(expect.arrayContaining(['zod', 'commander']));
    expect(afterUse).toContain('undici');
    expect(atStart).not.toContain('undici');
  });
});
