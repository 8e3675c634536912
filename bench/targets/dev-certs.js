// Creates the development CA and leaf (tls: auto) once, in the run's data directory, by starting and
// stopping a gateway with no services. Every TLS target then serves this same certificate.
import { join } from 'node:path';
import { createLogger, startGateway, validateConfig } from '../../packages/gateway/dist/index.js';

export async function start({ dataDir }) {
  const config = validateConfig(
    {
      listen: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: 0 },
      tls: 'auto',
      dataDir,
      log: { level: 'warn', access: false },
    },
    'bench (dev certificates)',
    dataDir,
  );
  const gateway = await startGateway({ config, logger: createLogger({ level: 'warn' }) });
  await gateway.stop();
  const tls = join(dataDir, 'tls');
  return {
    info: { caFile: gateway.caFile, certFile: join(tls, 'cert.pem'), keyFile: join(tls, 'key.pem') },
    stop: async () => {},
  };
}
