import { parseRouteMatch } from './route-match.js';
import type { ParsedConfig } from './schema.js';

/**
 * Settings that are valid but most likely not what was meant: the gateway starts, and logs each of
 * these at start with the key and the fix.
 */
export function configWarnings(config: ParsedConfig): string[] {
  const warnings: string[] = [];
  if (config.services.length === 0) {
    warnings.push('services: none are configured, so every request to the data plane gets 404; add a service (see `portcullis init`)');
  }
  config.services.forEach((service, i) => {
    const upstream = new URL(service.upstream);
    if (upstream.pathname !== '/' || upstream.search || upstream.hash) {
      const base = `${upstream.protocol}//${upstream.host}`;
      warnings.push(
        `services[${i}].upstream: the path "${upstream.pathname}${upstream.search}" is ignored: a request for /x goes to ${base}/x; ` +
          `write the upstream as ${base}, and put the path in the routes`,
      );
    }
  });
  warnings.push(...shadowedRoutes(config));
  return warnings;
}

/** A route whose every method is already taken, for the same path, by an earlier route: the first one wins. */
function shadowedRoutes(config: ParsedConfig): string[] {
  const out: string[] = [];
  const seen = new Map<string, string>(); // "METHOD path" -> where it was first matched
  config.services.forEach((service, i) => {
    service.routes.forEach((route, j) => {
      const parsed = parseRouteMatch(route.match);
      if (!parsed.ok) return;
      const path = `/${parsed.match.segments.join('/')}${parsed.match.rest ? '/**' : ''}`;
      const methods = parsed.match.methods === 'any' ? ['*'] : [...parsed.match.methods];
      const here = `services[${i}].routes[${j}]`;
      const earlier = methods.map((m) => seen.get(`${m} ${path}`) ?? seen.get(`* ${path}`));
      if (earlier.every((e) => e !== undefined)) {
        out.push(`${here}.match: "${route.match}" is already matched by ${earlier[0]}, which comes first, so this route never applies; remove one, or merge their scopes`);
      }
      for (const m of methods) if (!seen.has(`${m} ${path}`)) seen.set(`${m} ${path}`, here);
    });
  });
  return out;
}
