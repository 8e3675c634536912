// The plain-HTTP upstream behind the proxies (rows f, g, ...): the same handler as row (a), no TLS.
import { createServer } from 'node:http';
import { closeServer, companyHandler, listenOnLoopback } from '../lib/company.js';

export async function start() {
  const server = createServer(companyHandler);
  const port = await listenOnLoopback(server);
  return { info: { url: `http://127.0.0.1:${port}` }, stop: () => closeServer(server) };
}
