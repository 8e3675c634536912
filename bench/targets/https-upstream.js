// (a) The direct upstream: a minimal node:https server with the gateway's development certificate.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { closeServer, companyHandler, listenOnLoopback } from '../lib/company.js';

export async function start({ certFile, keyFile }) {
  const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, companyHandler);
  const port = await listenOnLoopback(server);
  return { info: { url: `https://127.0.0.1:${port}` }, stop: () => closeServer(server) };
}
