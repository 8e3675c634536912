import { z } from 'zod';
import { defineOperation } from '../operation.js';
import { serviceView } from '../views.js';

/** Services and routes as configured, read-only; upstream URLs without credentials. */
export const listServicesOperation = defineOperation({
  id: 'listServices',
  method: 'GET',
  path: '/services',
  summary: 'The configured services and routes (read-only: they come from the configuration file)',
  permission: 'config:read',
  scope: 'global',
  request: {},
  response: { status: 200, description: 'the services', schema: z.object({ services: z.array(serviceView) }) },
  handle: async (_call, { config }) => ({
    services: config.services.map((service) => {
      const upstream = new URL(service.upstream);
      return {
        name: service.name,
        upstream: upstream.origin + upstream.pathname,
        timeoutMs: service.timeout,
        rateLimit: service.rateLimit ?? null,
        ipRateLimit: service.ipRateLimit ?? null,
        routes: service.routes.map((route) => ({ match: route.match, scopes: route.scopes, public: route.public, signature: route.signature, rateLimit: route.rateLimit ?? null })),
      };
    }),
  }),
});
