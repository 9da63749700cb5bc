// The emulator's public port: a TCP front that pipes each client connection to the gRPC server behind it. It lets
// the fault controls do what a network does: refuse connections (down), and cut the connection carrying one request
// without an answer (drop), identified by the peer port the gRPC server sees.
import net from 'node:net';

export interface TcpFront {
  port: number;
  /** Destroys the connection pair whose back-end socket has this local port (the gRPC server's view of the peer). */
  dropPeer(peerPort: number): void;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpFront(backendPort: number): Promise<TcpFront> {
  const pairs = new Map<number, { front: net.Socket; back: net.Socket }>();
  const all = new Set<net.Socket>();
  const server = net.createServer((front) => {
    all.add(front);
    const back = net.connect(backendPort, '127.0.0.1');
    all.add(back);
    // No Nagle on either leg: gRPC's small frames would otherwise wait for delayed ACKs.
    front.setNoDelay(true);
    back.setNoDelay(true);
    const end = () => {
      front.destroy();
      back.destroy();
    };
    back.on('connect', () => pairs.set(back.localPort!, { front, back }));
    back.on('close', () => {
      all.delete(back);
      for (const [port, p] of pairs) if (p.back === back) pairs.delete(port);
      end();
    });
    front.on('close', () => {
      all.delete(front);
      end();
    });
    front.on('error', end);
    back.on('error', end);
    front.pipe(back);
    back.pipe(front);
  });
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of all) s.destroy();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });
  const port = await listen(0);
  return {
    port,
    dropPeer(peerPort) {
      const p = pairs.get(peerPort);
      p?.front.destroy();
      p?.back.destroy();
    },
    down: stop,
    up: async () => {
      if (!server.listening) await listen(port);
    },
    close: stop,
  };
}
