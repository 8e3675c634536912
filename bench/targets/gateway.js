// The Portcullis gateway (rows f, h, ...). `routes` and `extra` come from the row definition in
// bench/rows.js; `setup`, if a row names one, may provision state (an API key, say) and return the
// request headers the load generator should send.
import { createLogger, startGateway, validateConfig } from '../../packages/gateway/dist/index.js';

export async function start({ dataDir, upstreamUrl, routes, extra = {}, setup }) {
  const config = validateConfig(
    {
      listen: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: 0 },
      tls: 'auto',
      dataDir,
      log: { level: 'warn', access: false },
      services: [{ name: 'companies', upstream: upstreamUrl, routes }],
      ...extra,
    },
    'bench',
    dataDir,
  );
  const logger = createLogger({ level: config.log.level });
  const gateway = await startGateway({ config, logger });
  let headers = {};
  if (setup) {
    const module = await import(new URL(setup, import.meta.url));
    headers = (await module.setup({ gateway, config, dataDir })) ?? {};
  }
  return { info: { url: gateway.url, caFile: gateway.caFile, headers }, stop: () => gateway.stop() };
}
