// The Portcullis gateway (rows f, h, ...). `routes` and `extra` come from the row definition in
// bench/rows.js (`service` adds keys to the service, e.g. a rateLimit); `setup`, if a row names one, may
// provision state (an API key, say) and return the request headers the load generator should send.
import { createLogger, startGateway, validateConfig } from '../../packages/gateway/dist/index.js';

export async function start({ dataDir, upstreamUrl, routes, service = {}, extra = {}, setup }) {
  const config = validateConfig(
    {
      listen: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: 0 },
      tls: 'auto',
      dataDir,
      log: { level: 'warn', access: false },
      services: [{ name: 'companies', upstream: upstreamUrl, routes, ...service }],
      ...extra,
    },
    'bench',
    dataDir,
  );
  const logger = createLogger({ level: config.log.level });
  const gateway = await startGateway({ config, logger });
  let headers = {};
  let signing;
  if (setup) {
    const module = await import(new URL(setup, import.meta.url));
    const provided = (await module.setup({ gateway, config, dataDir })) ?? {};
    // A setup may also hand over a signing key ({ headers, signing }): the load generator then signs each request.
    ({ headers, signing } = provided.signing ? provided : { headers: provided });
  }
  return { info: { url: gateway.url, caFile: gateway.caFile, headers, signing }, stop: () => gateway.stop() };
}
