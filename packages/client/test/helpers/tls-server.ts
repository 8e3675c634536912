import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDevCertificates } from '../../../gateway/src/server/dev-ca.js';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>;

export interface TestServer {
  /** https://127.0.0.1:PORT */
  url: string;
  port: number;
  ca: string;
  server: Server;
  seen: SeenRequest[];
  /** TCP connections accepted: a refusal "before any connection" leaves this at 0. */
  connections: () => number;
  handle(handler: Handler): void;
  close(): Promise<void>;
}

let certificates: ReturnType<typeof ensureDevCertificates> | undefined;

/** The test CA and a leaf for localhost / 127.0.0.1 / ::1, made once per test file (the gateway's dev CA code). */
export function testCertificates() {
  certificates ??= ensureDevCertificates({ dir: mkdtempSync(join(tmpdir(), 'portcullis-client-tls-')) });
  return certificates;
}

/** A real HTTPS server on 127.0.0.1 whose behaviour a test sets and which records what it received. */
export async function startTestServer(handler: Handler = json(200, { ok: true })): Promise<TestServer> {
  const tls = await testCertificates();
  const seen: SeenRequest[] = [];
  let current = handler;
  let connections = 0;
  const server = createServer({ cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2' }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      void Promise.resolve(current(req, res, body)).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    ca: tls.ca,
    server,
    seen,
    connections: () => connections,
    handle(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A handler answering JSON with the given status and headers. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
}

/** Answers each request with the next handler of the list; the last one repeats. */
export function sequence(...handlers: Handler[]): Handler {
  let i = 0;
  return (req, res, body) => handlers[Math.min(i++, handlers.length - 1)]!(req, res, body);
}
