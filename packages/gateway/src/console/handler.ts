import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AccountDeps } from '../accounts/deps.js';
import { AccountError, accountProblem } from '../accounts/errors.js';
import { problem } from '../http/problems.js';
import { sendJson, sendProblem } from '../http/respond.js';
import type { Logger } from '../observe/logger.js';
import { cookieFor, signInRoutes } from './sign-in-routes.js';
import { CONSOLE_HOME } from './return-to.js';
import { securityHeaders, serveConsoleFile } from './static-files.js';

export interface ConsoleHandlerOptions {
  readonly accounts: AccountDeps;
  readonly logger: Logger;
  /** The built front end (packages/console/dist). */
  readonly staticDir: string;
  readonly clientIp: (req: IncomingMessage) => string;
}

const MAX_BODY = 16 * 1024;

async function readBody(req: IncomingMessage): Promise<unknown> {
  if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
    // Also a CSRF guard: a cross-site form cannot send application/json without a CORS preflight.
    throw new AccountError('malformed_request', 'Send the body as application/json.');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new AccountError('malformed_request', 'The body is too large.');
    chunks.push(chunk);
  }
  if (size === 0) return {};
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    throw new AccountError('malformed_request', 'The body is not valid JSON.');
  }
}

/** A request from another origin is refused before anything else (the Origin header cannot be forged by a page). */
function crossOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  return origin !== undefined && origin !== `https://${req.headers.host ?? ''}`;
}

/**
 * The console on the admin listener: the sign-in API under /console/api/ and the built front end
 * under /console/. Returns undefined for any other path (the admin API answers those).
 */
export function createConsoleHandler(options: ConsoleHandlerOptions) {
  const routes = signInRoutes(options.accounts);
  const { logger } = options;

  async function handle(req: IncomingMessage, res: ServerResponse, path: string, requestId: string): Promise<void> {
    if (path === '/console') {
      res.writeHead(308, [...securityHeaders(requestId), 'location', CONSOLE_HOME, 'content-length', '0']);
      res.end();
      return;
    }
    if (path.startsWith('/console/api/')) {
      const route = routes[`${req.method} ${path.slice('/console/api/'.length)}`];
      if (!route) return sendProblem(res, requestId, problem('not-found'));
      if (req.method !== 'GET' && crossOrigin(req)) return sendProblem(res, requestId, problem('forbidden', 'Cross-origin requests are refused.'));
      const body = req.method === 'GET' ? undefined : await readBody(req);
      const reply = await route({ req, res, body, ip: options.clientIp(req) });
      const cookie = cookieFor(reply);
      return sendJson(res, requestId, reply.status, reply.body, cookie ? ['set-cookie', cookie] : []);
    }
    // Single sign-on answers below /console/sso/ when configured; otherwise nothing is there.
    if (path.startsWith('/console/sso/')) return sendProblem(res, requestId, problem('not-found'));
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendProblem(res, requestId, problem('method-not-allowed', undefined, { allow: 'GET, HEAD' }));
    if (!(await serveConsoleFile(options.staticDir, path, res, requestId))) {
      sendProblem(res, requestId, problem('not-found', 'The console is not built: run npm run build.'));
    }
  }

  return function consoleFor(url: string | undefined): ((req: IncomingMessage, res: ServerResponse) => void) | undefined {
    const path = (url ?? '/').split('?')[0] as string;
    if (path !== '/console' && !path.startsWith('/console/')) return undefined;
    return (req, res) => {
      const requestId = randomUUID();
      handle(req, res, path, requestId).catch((error: unknown) => {
        if (error instanceof AccountError) {
          if (error.code === 'invalid_login' || error.code === 'invalid_code' || error.code === 'login_throttled') {
            logger.info({ requestId, code: error.code }, 'console sign-in refused');
          }
          return sendProblem(res, requestId, accountProblem(error));
        }
        if (error instanceof URIError) return sendProblem(res, requestId, problem('bad-request'));
        logger.error({ requestId, err: { message: (error as Error).message, code: (error as { code?: string }).code } }, 'console request failed');
        sendProblem(res, requestId, problem('internal'));
      });
    };
  };
}
