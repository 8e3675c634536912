import { Agent } from 'undici';
import { runChecks } from '../check/run-check.js';
import type { Config } from '../config/load.js';
import { findingsToJson } from '../lib/findings.js';
import type { AdminRoute } from './routes.js';

/**
 * What the console shows of the configuration, read-only: services and routes (GET /admin/v1/services)
 * and the findings of `portcullis check` run by the gateway against itself (GET /admin/v1/check).
 * Upstream URLs are shown without credentials; nothing here changes anything.
 */
export function configRoutes(config: Config, self: () => { url: string; ca: Buffer | undefined }): AdminRoute[] {
  return [
    {
      method: 'GET',
      pattern: /^\/admin\/v1\/services$/,
      handle: async () => ({
        status: 200,
        body: {
          services: config.services.map((service) => {
            const upstream = new URL(service.upstream);
            upstream.username = '';
            upstream.password = '';
            return {
              name: service.name,
              upstream: upstream.origin + upstream.pathname,
              timeoutMs: service.timeout,
              rateLimit: service.rateLimit ?? null,
              ipRateLimit: service.ipRateLimit ?? null,
              routes: service.routes.map((route) => ({
                match: route.match,
                scopes: route.scopes,
                public: route.public,
                signature: route.signature,
                rateLimit: route.rateLimit ?? null,
              })),
            };
          }),
        },
      }),
    },
    {
      method: 'GET',
      pattern: /^\/admin\/v1\/check$/,
      roles: ['owner', 'admin', 'auditor'],
      handle: async () => {
        const { url, ca } = self();
        const agent = new Agent({ connect: ca ? { ca } : {}, connectTimeout: 5_000 });
        try {
          // Without adminGet: the key-age and audit checks have their own console pages.
          const findings = await runChecks({ config, configPath: config.source, url, env: process.env, agent, ...(ca ? { ca } : {}) });
          return { status: 200, body: { findings: findingsToJson(findings) } };
        } finally {
          await agent.close();
        }
      },
    },
  ];
}
