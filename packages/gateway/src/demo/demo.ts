import { validateConfig } from '../config/load.js';
import { createConsumer, listConsumers } from '../credentials/consumers.js';
import type { CredentialDeps } from '../credentials/deps.js';
import { createApiKey } from '../credentials/issue-key.js';
import { keyStatus } from '../credentials/model.js';
import { listApiKeys } from '../credentials/repository.js';
import { revokeApiKey } from '../credentials/revoke-key.js';
import { relative, resolve } from 'node:path';
import { startGateway } from '../server/gateway.js';
import { startSampleUpstream } from './sample-upstream.js';

export interface DemoOptions {
  readonly port: number;
  readonly adminPort: number;
  readonly dataDir: string;
  readonly out?: NodeJS.WritableStream;
}

/** `portcullis demo`: the sample API behind the gateway, with a banner that says how to call it. */
export async function runDemo(options: DemoOptions) {
  const out = options.out ?? process.stdout;
  const upstream = await startSampleUpstream();
  const config = validateConfig(
    {
      listen: { host: '127.0.0.1', port: options.port },
      admin: { host: '127.0.0.1', port: options.adminPort },
      tls: 'auto',
      dataDir: options.dataDir,
      log: { level: 'info', access: true },
      services: [
        {
          name: 'companies',
          upstream: upstream.url,
          routes: [
            { match: 'GET /companies', scopes: ['companies:read'] },
            { match: 'GET /companies/*', scopes: ['companies:read'] },
            { match: 'POST /companies', scopes: ['companies:write'] },
          ],
        },
      ],
    },
    'portcullis demo',
    process.cwd(),
  );
  let gateway;
  try {
    gateway = await startGateway({ config, portNames: { listen: '--port (0 picks a free port)', admin: '--admin-port (0 picks a free port)' } });
  } catch (error) {
    await upstream.close();
    throw error;
  }
  const key = await freshDemoKey(gateway.credentials);
  const curl = `curl --cacert ${gateway.caFile} -H "Authorization: Bearer ${key}" ${gateway.url}/companies/1`;
  const node =
    `NODE_EXTRA_CA_CERTS=${gateway.caFile} node -e "fetch('${gateway.url}/companies', ` +
    `{ headers: { authorization: 'Bearer ' + process.env.DEMO_KEY } }).then((r) => r.json()).then(console.log)"`;
  const lines = [
    '',
    'Portcullis demo is running.',
    `  gateway:  ${gateway.url}   (sample upstream behind it: ${upstream.url})`,
    `  admin:    ${gateway.adminUrl}`,
    `  console:  ${gateway.console.setupUrl ? `${gateway.console.setupUrl}\n            (one-time owner setup link: set a password and enrol MFA)` : `${gateway.adminUrl}/console/`}`,
    `  CA file:  ${gateway.caFile ?? '(your own certificate)'}`,
    `  API key:  ${key}`,
    '            (demo consumer, scope companies:read; a new key each start, the previous one is revoked)',
    '',
    'Try it, with certificate validation on:',
    `  ${curl}`,
    '',
    'From Node.js:',
    `  DEMO_KEY=${key} ${node}`,
    '',
    'Manage keys from another terminal in this folder:',
    `  ${adminHint(gateway.adminUrl, config.dataDir)}`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ];
  out.write(lines.join('\n'));
  return {
    gateway,
    upstream,
    stop: async () => {
      await gateway.stop();
      await upstream.close();
    },
  };
}

/** The demo consumer's one working key: older demo keys are revoked so only the printed one works. */
async function freshDemoKey(deps: CredentialDeps): Promise<string> {
  const actor = 'demo';
  const consumer = (await listConsumers(deps)).find((c) => c.name === 'demo') ?? (await createConsumer(deps, actor, 'demo'));
  for (const key of await listApiKeys(deps.db, consumer.id)) {
    if (keyStatus(key, deps.policy, deps.clock()) !== 'revoked') await revokeApiKey(deps, actor, key.id);
  }
  const issued = await createApiKey(deps, actor, consumer.id, { scopes: ['companies:read'], allowedIps: [], allowedOrigins: [] });
  return issued.value;
}

/** The admin command to copy, with this demo's admin URL and data directory (the token and CA are there). */
function adminHint(adminUrl: string, dataDir: string): string {
  const fromHere = relative(process.cwd(), dataDir);
  const dir = fromHere && !fromHere.startsWith('..') && resolve(fromHere) === dataDir ? fromHere : dataDir;
  return `npm exec --no -- portcullis keys list --admin-url ${adminUrl} --data-dir ${dir.includes(' ') ? JSON.stringify(dir) : dir}`;
}
