import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { HSTS_HEADER_VALUE, baseHeaders } from './headers.js';
import { PROBLEMS, PROBLEM_MEDIA_TYPE, problemBody } from './problems.js';
import type { Problem } from './problems.js';

/** The one place a Problem becomes HTTP (RFC 9457). */
export function sendProblem(res: ServerResponse, requestId: string, p: Problem, options: { close?: boolean } = {}): void {
  if (res.headersSent) {
    res.destroy(); // mid-stream failure: the only honest signal left is a truncated response
    return;
  }
  const body = problemBody(p, requestId);
  const headers = [
    ...baseHeaders(requestId),
    'content-type', PROBLEM_MEDIA_TYPE,
    'content-length', String(Buffer.byteLength(body)),
    'cache-control', 'no-store',
  ];
  if (p.headers) for (const [name, value] of Object.entries(p.headers)) headers.push(name, value);
  if (options.close) headers.push('connection', 'close');
  res.writeHead(PROBLEMS[p.code].status, headers);
  res.end(body);
}

/**
 * A whole HTTP/1.1 response as bytes, for errors found before Node built a request object (header
 * overflow, parse errors, header timeouts): those arrive on the raw socket through 'clientError'.
 * `overPlainHttp`: the answer to a plain-HTTP request on a TLS port, which carries no HSTS (RFC 6797
 * §7.2: a host must not send it over a non-secure transport).
 */
export function rawProblemResponse(p: Problem, requestId: string, options: { overPlainHttp?: boolean } = {}): string {
  const status = PROBLEMS[p.code].status;
  const body = problemBody(p, requestId);
  const [, , , id] = baseHeaders(requestId);
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
    (options.overPlainHttp ? '' : `Strict-Transport-Security: ${HSTS_HEADER_VALUE}\r\n`) +
    `X-Request-Id: ${id}\r\n` +
    `Content-Type: ${PROBLEM_MEDIA_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`
  );
}

/** A JSON response with the base headers; never cached (admin and OAuth answers carry secrets). */
export function sendJson(res: ServerResponse, requestId: string, status: number, body: unknown, headers: readonly string[] = []): void {
  const text = JSON.stringify(body);
  res.writeHead(status, [
    ...baseHeaders(requestId),
    'content-type', 'application/json',
    'content-length', String(Buffer.byteLength(text)),
    'cache-control', 'no-store',
    ...headers,
  ]);
  res.end(text);
}

/** JSON lines (one JSON document per line), streamed with backpressure; for exports that may be large. */
export async function sendLines(res: ServerResponse, requestId: string, lines: AsyncIterable<string>): Promise<void> {
  res.writeHead(200, [...baseHeaders(requestId), 'content-type', 'application/jsonl', 'cache-control', 'no-store']);
  for await (const line of lines) {
    if (!res.write(`${line}\n`)) await new Promise((resume) => res.once('drain', resume));
  }
  res.end();
}
