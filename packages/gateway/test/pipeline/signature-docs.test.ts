import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCredentialGateway } from '../helpers/gateway.js';
import type { CredentialGateway } from '../helpers/gateway.js';

const run = promisify(execFile);
const DOC = fileURLToPath(new URL('../../../../docs/signatures.md', import.meta.url));

/** The fenced block of `language` in docs/signatures.md whose text contains `marker`. */
function block(language: string, marker: string): string {
  const blocks = [...readFileSync(DOC, 'utf8').matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1] as string);
  const found = blocks.find((text) => text.includes(marker));
  if (!found) throw new Error(`docs/signatures.md has no ${language} block containing ${marker}`);
  return found;
}

/** The examples in docs/signatures.md, run as printed against a real gateway with a signature: required route. */
describe('docs/signatures.md examples', () => {
  let t: CredentialGateway;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    t = await startCredentialGateway((url) => ({
      services: [{ name: 'payments', upstream: url, routes: [{ match: 'POST /payments', scopes: ['payments:write'], signature: 'required' }] }],
    }));
    const consumerId = await t.createConsumer();
    const { key } = await t.createKey({ consumerId, scopes: ['payments:write'] });
    const secret = (await t.admin('POST', `/admin/v1/consumers/${consumerId}/signing-secrets`)).json() as { keyId: string; secret: string };
    // Inside the checkout, so that `@portcullis/protocol` resolves as in a project that installed it.
    dir = fileURLToPath(new URL(`../../.docs-example-${process.pid}/`, import.meta.url));
    mkdirSync(dir, { recursive: true });
    symlinkSync(t.dataDir, join(dir, '.portcullis'));
    env = {
      ...process.env,
      PORTCULLIS_URL: t.gateway.url,
      PORTCULLIS_API_KEY: key,
      PORTCULLIS_SIGNING_KEY_ID: secret.keyId,
      PORTCULLIS_SIGNING_SECRET: secret.secret,
      NODE_EXTRA_CA_CERTS: join(t.dataDir, 'tls', 'ca.pem'),
    };
  });
  // The gateway's clock is a fake that stands still; the examples sign with the real time.
  beforeEach(() => {
    t.clock.now = Date.now();
  });
  afterAll(async () => {
    await t?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the Node example signs a POST the gateway accepts', async () => {
    writeFileSync(join(dir, 'signed-request.mjs'), block('js', '// signed-request.mjs'));
    const { stdout } = await run(process.execPath, ['signed-request.mjs'], { cwd: dir, env });
    expect(stdout).toMatch(/^200 /);
    expect(t.upstream.seen.at(-1)?.body).toBe('{"amount":1200,"currency":"EUR"}');
  });

  it('the curl example sends a signed POST the gateway accepts', async () => {
    const script = block('sh', 'signature-headers.txt');
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', `${script}\necho " status=ok"`], { cwd: dir, env });
    expect(stdout).toContain('{"ok":true}');
    expect(t.upstream.seen.at(-1)?.body).toBe('{"amount":1200}');
  });
});
