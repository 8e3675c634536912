import { connect } from 'node:tls';
import type { ConnectionOptions, PeerCertificate } from 'node:tls';

export interface HandshakeResult {
  readonly ok: boolean;
  readonly protocol?: string | null;
  readonly cipher?: string;
  readonly authorized?: boolean;
  readonly authorizationError?: string;
  readonly cert?: PeerCertificate;
  readonly error?: string;
}

/**
 * One TLS handshake with the given options, then close. Never sends application data. Probes that
 * offer only old protocols or weak suites lower OpenSSL's security level so that the client side can
 * offer them: the question is whether the server accepts them.
 */
export function handshake(host: string, port: number, options: ConnectionOptions = {}, timeoutMs = 5_000): Promise<HandshakeResult> {
  return new Promise((resolve) => {
    // The probe completes every handshake and reports trust itself (socket.authorized): a failed
    // validation is a finding, not a reason to stop looking.
    const socket = connect({ host, port, servername: /^[\d.:]+$/.test(host) ? undefined : host, rejectUnauthorized: false, ...options }); // portcullis-scan: ignore
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ ok: false, error: 'timeout' });
    }, timeoutMs);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const result: HandshakeResult = {
        ok: true,
        protocol: socket.getProtocol(),
        cipher: socket.getCipher().name,
        authorized: socket.authorized,
        authorizationError: socket.authorizationError ? String(socket.authorizationError) : undefined,
        cert: socket.getPeerCertificate(true),
      };
      socket.destroy();
      resolve(result);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ ok: false, error: error.code ?? error.message });
    });
  });
}

/** Suites without forward secrecy or AEAD that no server should accept. */
export const WEAK_TLS12_CIPHERS = 'AES128-SHA:AES256-SHA:AES128-SHA256:AES256-SHA256:AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES256-SHA:DES-CBC3-SHA';
