// A TCP port on 127.0.0.1 that was free a moment ago, for a server that cannot listen on port 0 itself
// (nginx, `portcullis start` from a config file).
import { createServer } from 'node:net';

export async function freePort() {
  const server = createServer();
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}
