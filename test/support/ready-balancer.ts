import http from 'node:http';
import net from 'node:net';

export interface ReadyBalancer {
  readonly port: number;
  /** Every change of a backend's readiness as the balancer saw it, in order. */
  readonly transitions: readonly { readonly backend: number; readonly ready: boolean; readonly at: number }[];
  /** Client connections it could not place (no backend ready, or the backend refused): each is a failure. */
  readonly dropped: number;
  /** Connections placed per backend port. */
  readonly placed: Readonly<Record<number, number>>;
  isReady(backend: number): boolean;
  close(): Promise<void>;
}

/** A probe slower than this counts as not ready. */
const PROBE_TIMEOUT_MS = 1_000;

export interface ReadyBalancerOptions {
  /** How often each backend's /readyz is polled. */
  readonly pollMs?: number;
}

function probe(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/readyz', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 200));
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/**
 * A layer-4 balancer on loopback, as Kubernetes' Service proxy behaves: it
 * polls each backend's /readyz and places each new client connection on the
 * next ready backend, round robin; a connection stays with its backend for
 * its life (keep-alive clients included), so a draining backend has to send
 * them away itself. It never retries: a refused connection reaches the client.
 */
export async function startReadyBalancer(
  backends: readonly number[],
  opts: ReadyBalancerOptions = {},
): Promise<ReadyBalancer> {
  const pollMs = opts.pollMs ?? 100;
  const ready = new Map(backends.map((b) => [b, false]));
  const transitions: { backend: number; ready: boolean; at: number }[] = [];
  const placed: Record<number, number> = {};
  const sockets = new Set<net.Socket>();
  let dropped = 0;
  let next = 0;
  let closing = false;

  const poll = async (backend: number) => {
    while (!closing) {
      const started = Date.now();
      const ok = await probe(backend, PROBE_TIMEOUT_MS);
      if (closing) return;
      if (ok !== ready.get(backend)) {
        ready.set(backend, ok);
        transitions.push({ backend, ready: ok, at: Date.now() });
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, pollMs - (Date.now() - started))));
    }
  };
  const polling = backends.map(poll);

  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    const candidates = backends.filter((b) => ready.get(b));
    const backend = candidates[next++ % Math.max(1, candidates.length)];
    if (backend === undefined) {
      dropped++;
      client.destroy();
      return;
    }
    placed[backend] = (placed[backend] ?? 0) + 1;
    const upstream = net.connect({ host: '127.0.0.1', port: backend });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
    });
    // Half-closes pass through, so a server's Connection: close reaches the client as it would directly.
    client.pipe(upstream);
    upstream.pipe(client);
    upstream.on('error', () => {
      if (!connected) dropped++;
      client.destroy();
    });
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    port: (server.address() as net.AddressInfo).port,
    transitions,
    placed,
    get dropped() {
      return dropped;
    },
    isReady: (backend) => ready.get(backend) === true,
    async close() {
      closing = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(polling);
    },
  };
}
