export { loadConfig, validateConfig, ConfigError } from './config/load.js';
export type { Config } from './config/load.js';
export { startGateway } from './server/gateway.js';
export type { Gateway, GatewayOptions } from './server/gateway.js';
export { createLogger, scrubSecrets } from './observe/logger.js';
export { startSampleUpstream } from './demo/sample-upstream.js';
export type { SampleUpstream } from './demo/sample-upstream.js';
