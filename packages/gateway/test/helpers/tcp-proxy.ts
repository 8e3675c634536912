import { connect, createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A loopback TCP relay in front of a real server (PostgreSQL here): the network between the gateway and
 * its database, which a test can take down and bring back. `down()` cuts every open connection and
 * stops listening, so new connections are refused (ECONNREFUSED), as when the server is stopped.
 */
export async function startTcpProxy(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  // Blackholed: connections stay open but every byte is dropped, as behind a dead link or a hung server.
  let blackholed = false;
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        sockets.delete(a);
        b.destroy();
      });
      a.on('data', (chunk: Buffer) => {
        if (!blackholed) b.write(chunk);
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    /** Refuses new connections and cuts the open ones. */
    async down(): Promise<void> {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    /** Keeps every connection open and drops what is sent either way, until `restore()`. */
    blackhole(): void {
      blackholed = true;
    },
    /** Ends the blackhole: later bytes flow again (the dropped ones are gone, as the peers will notice). */
    restore(): void {
      blackholed = false;
    },
    /** Listens again on the same port. */
    async up(): Promise<void> {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
    },
    async close(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
