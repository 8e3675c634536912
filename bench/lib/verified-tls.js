// autocannon 9 connects with `tls.connect(port, host, { ...tlsOptions, rejectUnauthorized: false })`
// (lib/httpClient.js): a `ca` in tlsOptions is passed along but never enforced, and NODE_EXTRA_CA_CERTS
// cannot help either. So while autocannon runs, tls.connect in this process is wrapped to put
// `rejectUnauthorized: true` and our CA back: a certificate that does not chain to the bench CA, or
// does not name 127.0.0.1, fails the handshake, autocannon counts an error and the row fails.
import tls from 'node:tls';

export function enforceTlsVerification(ca) {
  const original = tls.connect;
  const stats = { sockets: 0, authorized: 0, failed: 0 };
  tls.connect = function verifiedConnect(...args) {
    let at = args.findIndex((arg) => arg !== null && typeof arg === 'object');
    if (at === -1) {
      at = typeof args.at(-1) === 'function' ? args.length - 1 : args.length;
      args.splice(at, 0, {});
    }
    args[at] = { ...args[at], ca, rejectUnauthorized: true };
    const socket = original.apply(this, args);
    stats.sockets++;
    socket.once('secureConnect', () => {
      if (socket.authorized) stats.authorized++;
    });
    socket.once('error', () => stats.failed++);
    return socket;
  };
  return {
    stats,
    restore() {
      tls.connect = original;
    },
  };
}
