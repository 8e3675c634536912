import { connect as connectTcp } from 'node:net';
import type { Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

/**
 * Raw exchanges with a listener, for what a real HTTP client would refuse or repair before sending
 * (dot segments, `;`, backslashes, smuggling framing), or for plain HTTP sent to a TLS port.
 * Resolves with everything received once the server closes, or after waitMs.
 */
function exchange(socket: Socket, payload: string | Buffer, waitMs: number, onOpen: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(data);
    }, waitMs);
    const done = () => {
      clearTimeout(timer);
      resolve(data);
    };
    socket.once(onOpen, () => socket.write(payload));
    socket.on('data', (c: Buffer) => (data += c.toString('utf8')));
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Over TLS, validating the gateway's certificate against the dev CA. */
export function rawExchange(url: string, ca: Buffer, payload: string | Buffer, waitMs = 2_000): Promise<string> {
  const { hostname, port } = new URL(url);
  return exchange(connectTls({ host: hostname, port: Number(port), ca, servername: 'localhost' }), payload, waitMs, 'secureConnect');
}

/** Over plain TCP: what `curl http://` sends to a TLS port. */
export function plainExchange(url: string, payload: string | Buffer, waitMs = 2_000): Promise<string> {
  const { hostname, port } = new URL(url);
  return exchange(connectTcp({ host: hostname, port: Number(port) }), payload, waitMs, 'connect');
}

/** A raw HTTP/1.1 response split into status, lower-case headers and body. */
export function parseRawResponse(raw: string): { status: number; headers: Record<string, string>; text: string } {
  const end = raw.indexOf('\r\n\r\n');
  const [statusLine = '', ...lines] = raw.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, text: raw.slice(end + 4) };
}
