import { randomUUID } from 'node:crypto';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../observe/logger.js';
import { problem } from '../http/problems.js';
import type { Problem } from '../http/problems.js';
import { rawProblemResponse } from '../http/respond.js';
import { tlsServerOptions } from './tls.js';

export interface ListenerOptions {
  readonly name: 'data-plane' | 'admin';
  /** Absent: the listener binds first and gets its certificate later (`useCertificate`). */
  readonly tls?: { cert: string | Buffer; key: string | Buffer };
  readonly maxHeaderBytes: number;
  /** From the TCP connection to the first complete request headers, and for each later request's headers. */
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
  /** From the TCP connection to the end of the TLS handshake. */
  readonly handshakeTimeout: number;
  /** An idle keep-alive connection is closed after this long. */
  readonly keepAliveTimeout: number;
  readonly logger: Logger;
}

/**
 * After the last answer on a refused connection, how long the client has to read it before the socket
 * is destroyed. `end()` alone leaves the descriptor open for as long as the peer keeps its side open.
 */
const LINGER_MS = 2_000;

/** The first byte of a TLS record carrying a handshake message (RFC 8446 §5.1, ContentType 22). */
const TLS_HANDSHAKE = 0x16;

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

/** nginx answers plain HTTP on a TLS port with its 497; ours is a 400 problem that names the fix. */
const PLAIN_HTTP = problem('bad-request', 'This port speaks HTTPS only: send the request to https:// instead of http://.');

/** Sends a last answer, then destroys the socket once the client has read it or LINGER_MS has passed. */
function answerAndClose(socket: Socket, response: string): void {
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.resume(); // read and discard what the client still sends, so closing does not reset the answer
  socket.end(response);
}

/**
 * Looks at the first byte of every TCP connection before TLS sees it. A TLS handshake goes on to the
 * HTTPS server; plain HTTP gets an answer telling it to use https. A connection that sends nothing is
 * destroyed after the handshake timeout (no other timer covers it before TLS starts).
 */
function routeFirstByte(server: Server, options: ListenerOptions): void {
  const tlsListeners = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const silent = setTimeout(() => socket.destroy(), options.handshakeTimeout);
    const gone = () => {
      clearTimeout(silent);
      socket.destroy();
    };
    socket.once('error', gone);
    socket.once('end', gone);
    socket.once('data', (first: Buffer) => {
      clearTimeout(silent);
      socket.off('error', gone);
      socket.off('end', gone);
      socket.pause();
      if (first[0] !== TLS_HANDSHAKE && looksLikeHttp(first)) {
        const requestId = randomUUID();
        options.logger.debug({ listener: options.name, requestId }, 'plain HTTP on the TLS port refused');
        socket.on('error', () => socket.destroy());
        answerAndClose(socket, rawProblemResponse(PLAIN_HTTP, requestId, { overPlainHttp: true }));
        return;
      }
      socket.unshift(first); // TLS reads what is buffered on the socket before it reads the wire
      for (const listener of tlsListeners) listener.call(server, socket);
    });
  });
}

/** An HTTP method token (RFC 9110 §9) starts the bytes: uppercase letters up to a space. */
function looksLikeHttp(first: Buffer): boolean {
  const text = first.subarray(0, 16).toString('latin1');
  return /^[A-Z]{3,12}( |$)/.test(text) || /^[A-Z]{1,15}$/.test(text);
}

/**
 * An HTTPS server with our limits, problem+json for the errors Node's parser finds, and a bound on
 * every stage of a connection: TCP with no bytes, TLS handshake, request headers, request body and idle
 * keep-alive. Each failed or idle connection is destroyed within its bound, never left half-closed.
 */
export function createListener(options: ListenerOptions, handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  // Node checks header/request timeouts on this interval; its 30 s default makes a 10 s limit fuzzy.
  const checkInterval = Math.max(100, Math.min(1_000, Math.floor(options.headersTimeout / 2)));
  const server = createServer(
    {
      ...(options.tls ? tlsServerOptions(options.tls) : {}),
      maxHeaderSize: options.maxHeaderBytes,
      headersTimeout: options.headersTimeout,
      requestTimeout: options.headersTimeout + options.bodyTimeout + 1_000,
      connectionsCheckingInterval: checkInterval,
      keepAliveTimeout: options.keepAliveTimeout,
      handshakeTimeout: options.handshakeTimeout,
      noDelay: true,
    },
    handler,
  );
  routeFirstByte(server, options);

  // Node's header timer starts with the first byte of a request: a connection that finishes TLS and
  // then sends nothing would be held open for good. This timer closes it once Node's own check (which
  // answers a partial request with 408) has had its turn.
  const established = new WeakSet<Socket>();
  const awaitingFirst = new WeakMap<Socket, NodeJS.Timeout>();
  const firstRequestBound = options.headersTimeout + checkInterval + 250;
  function firstRequestStarted(socket: Socket): void {
    const timer = awaitingFirst.get(socket);
    if (timer === undefined) return; // a later request on a kept-alive connection: nothing to clear
    clearTimeout(timer);
    awaitingFirst.delete(socket);
  }
  server.on('secureConnection', (socket: TLSSocket) => {
    established.add(socket);
    const timer = setTimeout(() => socket.destroy(), firstRequestBound);
    awaitingFirst.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  server.on('request', (req: IncomingMessage) => firstRequestStarted(req.socket));

  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const inProgress = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    // A TLS failure (handshake timeout, bad ClientHello) arrives here too, on a socket that never became
    // secure: writing an HTTP answer into it would wait forever for a handshake. Destroy it.
    if (!established.has(socket) || error.code === 'ECONNRESET' || !socket.writable || inProgress?.headersSent) {
      if (!established.has(socket)) options.logger.debug({ listener: options.name, code: error.code }, 'TLS handshake refused');
      socket.destroy();
      return;
    }
    firstRequestStarted(socket);
    const requestId = randomUUID();
    options.logger.debug({ listener: options.name, requestId, code: error.code }, 'malformed request refused');
    answerAndClose(socket, rawProblemResponse(clientErrorProblem(error.code), requestId));
  });
  return server;
}

/** Gives a listener its certificate (and our TLS policy with it); until then no handshake completes. */
export function useCertificate(server: Server, tls: { cert: string | Buffer; key: string | Buffer }): void {
  server.setSecureContext(tlsServerOptions(tls));
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
