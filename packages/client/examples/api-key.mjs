// An API key from the environment, a validated response, events and a redacting logger.
//   PORTCULLIS_URL=https://127.0.0.1:8443 PORTCULLIS_CA=.portcullis/tls/ca.pem PORTCULLIS_API_KEY=... \
//   node packages/client/examples/api-key.mjs
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { z } from 'zod';
import { HttpError, auth, createClient, fromEnv } from '@portcullis/client';

const baseUrl = process.env.PORTCULLIS_URL ?? 'https://127.0.0.1:8443';
const api = createClient({
  baseUrl,
  allowedHosts: [new URL(baseUrl).hostname],
  // The demo gateway listens on loopback, which the client refuses unless told otherwise.
  allowAddresses: ['127.0.0.1'],
  ca: process.env.PORTCULLIS_CA ? readFileSync(process.env.PORTCULLIS_CA) : undefined,
  auth: auth.apiKey({ key: fromEnv('PORTCULLIS_API_KEY') }),
  logger: pino({ level: 'debug' }),
  events: { retry: (e) => console.error(`retrying ${e.method} ${e.host} in ${e.delayMs} ms`) },
});

const Company = z.object({ id: z.string(), name: z.string() }).passthrough();
try {
  const { data } = await api.get('/companies/{id}', { params: { id: '1' }, schema: Company });
  console.log(`${data.id}: ${data.name}`);
} catch (error) {
  if (error instanceof HttpError) console.error(error.status, error.problem?.title ?? error.message);
  else throw error;
} finally {
  console.error('counters', api.counters);
  await api.close();
}
