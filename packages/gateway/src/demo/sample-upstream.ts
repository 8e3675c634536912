import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';

/** A small JSON API for the demo and the tests: the kind of upstream Portcullis sits in front of. */
const COMPANIES = [
  { id: '1', name: 'Acme Ltd', country: 'GB', status: 'active' },
  { id: '2', name: 'Globex GmbH', country: 'DE', status: 'active' },
  { id: '3', name: 'Initech SAS', country: 'FR', status: 'dissolved' },
];

export interface SampleUpstream {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startSampleUpstream(port = 0): Promise<SampleUpstream> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && path === '/companies') return json(res, 200, { companies: COMPANIES });
    const one = /^\/companies\/([^/]+)$/.exec(path);
    if (req.method === 'GET' && one) {
      const company = COMPANIES.find((c) => c.id === one[1]);
      return company ? json(res, 200, company) : json(res, 404, { error: 'no such company' });
    }
    if (req.method === 'POST' && path === '/companies') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
          json(res, 201, { id: String(COMPANIES.length + 1), ...body });
        } catch {
          json(res, 400, { error: 'expected a JSON body' });
        }
      });
      return;
    }
    json(res, 404, { error: 'not found' });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
  return {
    url,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
