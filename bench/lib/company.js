// The one JSON document every target serves for GET /companies/1: the sample upstream's record,
// as identical bytes, so rows differ only in what sits between the client and this handler.
export const BENCH_PATH = '/companies/1';
export const COMPANY = { id: '1', name: 'Acme Ltd', country: 'GB', status: 'active' };
const BODY = Buffer.from(JSON.stringify(COMPANY));
const NOT_FOUND = Buffer.from(JSON.stringify({ error: 'not found' }));

/** A minimal request handler for node:http and node:https servers alike. */
export function companyHandler(req, res) {
  const ok = req.method === 'GET' && req.url === BENCH_PATH;
  const body = ok ? BODY : NOT_FOUND;
  res.writeHead(ok ? 200 : 404, { 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

export function listenOnLoopback(server) {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve(server.address().port);
    });
  });
}

export function closeServer(server) {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}
