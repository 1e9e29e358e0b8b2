import net from 'node:net';

export interface RawResponse {
  readonly status: number;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * One TCP connection speaking plain HTTP/1.1, one request at a time, with no
 * agent in between: the test sees exactly when the server closes the socket,
 * and a request written to a socket the server is closing fails visibly.
 */
export interface RawConnection {
  /** Sends `GET path` on this socket; rejects (ECONNRESET, closed) if no whole response comes back. */
  get(path: string, timeoutMs?: number): Promise<RawResponse>;
  /** When the server ended or reset the connection; null while it is open. */
  readonly closedAt: number | null;
  /** Resolves once the connection is closed, with the time it was. */
  readonly closed: Promise<number>;
  destroy(): void;
}

export async function openRawConnection(port: number): Promise<RawConnection> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let closedAt: number | null = null;
  let buffered = Buffer.alloc(0);
  let pending: { onData: () => void; onClose: (err: Error) => void } | null = null;
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => {
      closedAt ??= Date.now();
      pending?.onClose(new Error('connection closed before a whole response'));
      resolve(closedAt);
    }),
  );
  // The server's FIN: it will not answer on this socket again.
  socket.on('end', () => {
    closedAt ??= Date.now();
  });
  socket.on('error', (err) => pending?.onClose(err));
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    pending?.onData();
  });

  /** A whole response at the head of the buffer, taken off it; null while incomplete. */
  const takeResponse = (): RawResponse | null => {
    const end = buffered.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const [statusLine = '', ...lines] = buffered.subarray(0, end).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? NaN);
    if (!Number.isInteger(length)) throw new Error(`no Content-Length in: ${statusLine}`);
    if (buffered.length < end + 4 + length) return null;
    const body = buffered.subarray(end + 4, end + 4 + length).toString('utf8');
    buffered = buffered.subarray(end + 4 + length);
    return { status: Number(statusLine.split(' ')[1]), headers, body };
  };

  return {
    get closedAt() {
      return closedAt;
    },
    closed,
    destroy: () => socket.destroy(),
    get(path, timeoutMs = 5_000) {
      if (pending) return Promise.reject(new Error('one request at a time'));
      return new Promise<RawResponse>((resolve, reject) => {
        const timer = setTimeout(() => settle(new Error('timeout')), timeoutMs);
        const settle = (outcome: RawResponse | Error) => {
          clearTimeout(timer);
          pending = null;
          if (outcome instanceof Error) reject(outcome);
          else resolve(outcome);
        };
        pending = {
          onData: () => {
            try {
              const response = takeResponse();
              if (response) settle(response);
            } catch (err) {
              settle(err as Error);
            }
          },
          onClose: (err) => settle(err),
        };
        if (socket.destroyed || closedAt !== null) return settle(new Error('connection already closed'));
        socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
      });
    },
  };
}
