// (g) A bare fastify over HTTPS (the same certificate) with @fastify/reply-from, default settings.
import { readFileSync } from 'node:fs';
import replyFrom from '@fastify/reply-from';
import Fastify from 'fastify';

export async function start({ upstreamUrl, certFile, keyFile }) {
  const app = Fastify({ logger: false, https: { cert: readFileSync(certFile), key: readFileSync(keyFile) } });
  await app.register(replyFrom, { base: upstreamUrl });
  app.get('/companies/*', (request, reply) => reply.from(request.url));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address();
  return { info: { url: `https://127.0.0.1:${port}` }, stop: () => app.close() };
}
