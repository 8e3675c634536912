import { validateConfig } from '../config/load.js';
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
  const gateway = await startGateway({ config });
  const lines = [
    '',
    'Portcullis demo is running.',
    `  gateway:  ${gateway.url}   (sample upstream behind it: ${upstream.url})`,
    `  admin:    ${gateway.adminUrl}`,
    `  CA file:  ${gateway.caFile ?? '(your own certificate)'}`,
    '',
    'Try it, with certificate validation on:',
    `  curl --cacert ${gateway.caFile} ${gateway.url}/companies/1`,
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
