/**
 * Route patterns: `METHOD /path`, where METHOD is one method, several joined by `|` (`GET|HEAD`) or `*`,
 * and the path is literal segments, `*` for exactly one segment, and a trailing `/**` for any remainder
 * (one or more segments). `GET /companies/*` matches `/companies/42` but not `/companies/42/officers`.
 */
export interface RouteMatch {
  readonly methods: ReadonlySet<string> | 'any';
  readonly segments: readonly string[];
  readonly rest: boolean;
}

const METHOD = /^[A-Z]+$/;
const SEGMENT = /^[A-Za-z0-9._~!$&'()+,;=:@-]+$/;
/** `:id` (Express style) or `{id}` (OpenAPI style): named parameters from other tools. */
const PARAMETER = /^(:[A-Za-z_][A-Za-z0-9_]*|\{[^/{}]*\})$/;

export function parseRouteMatch(
  text: string,
): { ok: true; match: RouteMatch } | { ok: false; message: string } {
  const example = 'expected "METHOD /path" such as "GET /companies/*" or "POST /companies"';
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 2) return { ok: false, message: example };
  const [methodText, path] = parts as [string, string];
  const methodList = methodText.split('|');
  if (methodText !== '*' && !methodList.every((m) => METHOD.test(m))) {
    return { ok: false, message: `"${methodText}" is not a method: ${example}` };
  }
  if (!path.startsWith('/')) return { ok: false, message: `the path must start with "/": ${example}` };
  const segments = path === '/' ? [] : path.slice(1).split('/');
  const rest = segments.at(-1) === '**';
  if (rest) segments.pop();
  for (const segment of segments) {
    if (PARAMETER.test(segment)) {
      // `/orders/:id` would otherwise match only the literal text ":id", never `/orders/42`.
      const fixed = `${methodText} /${[...segments.map((s) => (PARAMETER.test(s) ? '*' : s)), ...(rest ? ['**'] : [])].join('/')}`;
      return { ok: false, message: `path segment "${segment}" looks like a named parameter, which route patterns do not have: use "*" for one segment, as in "${fixed}"` };
    }
    if (segment !== '*' && !SEGMENT.test(segment)) {
      return { ok: false, message: `path segment "${segment}" is not allowed: use literal text, "*" or a trailing "**"` };
    }
  }
  return { ok: true, match: { methods: methodText === '*' ? 'any' : new Set(methodList), segments, rest } };
}

/** Does a normalised path (already split into segments) match? */
export function routeMatches(route: RouteMatch, method: string, pathSegments: readonly string[]): boolean {
  if (route.methods !== 'any' && !route.methods.has(method)) return false;
  const n = route.segments.length;
  if (route.rest ? pathSegments.length <= n : pathSegments.length !== n) return false;
  for (let i = 0; i < n; i++) {
    const want = route.segments[i];
    if (want !== '*' && want !== pathSegments[i]) return false;
  }
  return true;
}
