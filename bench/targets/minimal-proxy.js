// (m) A floor for any Node proxy on this machine, not a product: node:https (the same certificate and
// TLS settings as any default server) and one undici Pool.stream per request, no checks, no headers
// added, no logging or metrics. What the gateway costs beyond this is what its own code costs.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { Pool } from 'undici';
import { closeServer, listenOnLoopback } from '../lib/company.js';

export async function start({ upstreamUrl, certFile, keyFile }) {
  const pool = new Pool(upstreamUrl, { connections: 64, pipelining: 1 });
  const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, (req, res) => {
    pool.stream(
      { path: req.url, method: req.method, headers: req.headers, opaque: res },
      ({ statusCode, headers, opaque }) => {
        opaque.writeHead(statusCode, headers);
        return opaque;
      },
      (error) => {
        if (error && !res.headersSent) res.writeHead(502).end();
        else if (error) res.destroy();
      },
    );
  });
  const port = await listenOnLoopback(server);
  return {
    info: { url: `https://127.0.0.1:${port}` },
    stop: async () => {
      await closeServer(server);
      await pool.close();
    },
  };
}
