import type { ServiceConfig } from '../config/schema.js';
import type { SecurityEvents } from '../observe/security-events.js';
import type { RateLimitStore } from '../state/rate-limit-store.js';
import type { Stage } from './data-plane.js';
import { createHeaderLimitStage } from './limits.js';
import { createRateLimitStage } from './rate-limit.js';
import type { CompiledRoute } from './route.js';

export interface StageParts {
  readonly services: readonly ServiceConfig[];
  readonly routes: readonly CompiledRoute[];
  readonly rateLimits: RateLimitStore;
  readonly events: SecurityEvents;
  readonly authenticate: Stage;
  readonly authorize: Stage;
  /** Verifies RFC 9421 signatures: refuses unsigned requests where the route requires them. */
  readonly signature?: (route: CompiledRoute) => Stage;
}

/**
 * Each route's stage list, built once at start. Protected: [header limit] authenticate, consumer rate
 * limit, signature, authorize. Public: [header limit] ip rate limit, signature. A stage a route does not
 * need is absent rather than checking and skipping on every request.
 */
export function createStageCompiler(parts: StageParts): (route: CompiledRoute) => readonly Stage[] {
  const services = new Map(parts.services.map((service) => [service.name, service]));
  return function stagesFor(route) {
    const service = services.get(route.service) as ServiceConfig;
    const stages: Stage[] = [];
    if (route.limits.maxHeaderBytes !== undefined) stages.push(createHeaderLimitStage(route.limits.maxHeaderBytes));
    const rateLimit = (subject: 'consumer' | 'ip', scope: string, limit: ServiceConfig['rateLimit']) => {
      if (limit) stages.push(createRateLimitStage({ store: parts.rateLimits, events: parts.events, service: service.name, scope, subject, limit }));
    };
    if (route.public) {
      rateLimit('ip', service.name, service.ipRateLimit);
    } else {
      stages.push(parts.authenticate);
      // A route's own limit is its own budget; otherwise the whole service shares one.
      if (route.rateLimit) rateLimit('consumer', `${service.name}:${parts.routes.indexOf(route)}`, route.rateLimit);
      else rateLimit('consumer', service.name, service.rateLimit);
    }
    if (parts.signature) stages.push(parts.signature(route));
    if (!route.public) stages.push(parts.authorize);
    return stages;
  };
}
