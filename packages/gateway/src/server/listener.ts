import { randomUUID } from 'node:crypto';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from '../observe/logger.js';
import { problem } from '../http/problems.js';
import type { Problem } from '../http/problems.js';
import { rawProblemResponse } from '../http/respond.js';
import { tlsServerOptions } from './tls.js';

export interface ListenerOptions {
  readonly name: 'data-plane' | 'admin';
  readonly tls: { cert: string | Buffer; key: string | Buffer };
  readonly maxHeaderBytes: number;
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
  readonly logger: Logger;
}

/** Parser-level failures, before a request object exists, mapped to problems (RFC 9112 framing errors). */
function clientErrorProblem(code: string | undefined): Problem {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return problem('headers-too-large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return problem('request-timeout');
    default:
      // Includes HPE_UNEXPECTED_CONTENT_LENGTH: Content-Length together with Transfer-Encoding is a
      // request-smuggling vector (RFC 9112 §6.3), refused rather than guessed at.
      return problem('bad-request');
  }
}

/** An HTTPS server with our limits, and problem+json for the errors Node's parser finds. */
export function createListener(options: ListenerOptions, handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const server = createServer(
    {
      ...tlsServerOptions(options.tls),
      maxHeaderSize: options.maxHeaderBytes,
      headersTimeout: options.headersTimeout,
      requestTimeout: options.headersTimeout + options.bodyTimeout + 1_000,
      // Node checks header/request timeouts on this interval; its 30 s default makes a 10 s limit fuzzy.
      connectionsCheckingInterval: Math.max(100, Math.min(1_000, Math.floor(options.headersTimeout / 2))),
      keepAliveTimeout: 5_000,
      handshakeTimeout: 10_000,
      noDelay: true,
    },
    handler,
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const inProgress = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inProgress?.headersSent) {
      socket.destroy();
      return;
    }
    const requestId = randomUUID();
    options.logger.debug({ listener: options.name, requestId, code: error.code }, 'malformed request refused');
    socket.end(rawProblemResponse(clientErrorProblem(error.code), requestId));
  });
  server.on('tlsClientError', (error: NodeJS.ErrnoException) => {
    options.logger.debug({ listener: options.name, code: error.code }, 'TLS handshake refused');
  });
  return server;
}

export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

export function urlFor(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `https://${shown}:${port}`;
}
