import { createServer, request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * An HTTP relay in front of a real object store on loopback: Lightbox's S3 client is pointed at
 * it (LIGHTBOX_S3_ENDPOINT), so a test can count what reaches the bucket, and make the bucket
 * fail (a 503 from the store) or vanish (connections dropped) and come back. The Host header is
 * passed on as sent, so the SigV4 signatures the store checks stay valid.
 */
export interface BucketRelay {
  /** http://127.0.0.1:<port>: the endpoint to give Lightbox. */
  url: string;
  /** Every request relayed (or refused) so far, as `METHOD /bucket/key`. */
  requests: string[];
  /** `pass` relays; `fail` answers 503 SlowDown itself; `cut` drops every connection, open ones too. */
  readonly mode: RelayMode;
  set(mode: RelayMode): void;
  close(): Promise<void>;
}

type RelayMode = 'pass' | 'fail' | 'cut';

export async function startBucketRelay(target: string): Promise<BucketRelay> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  const relay: BucketRelay = {
    url: '',
    requests: [],
    mode: 'pass',
    set(mode) {
      (this as { mode: RelayMode }).mode = mode;
      if (mode === 'cut') for (const socket of sockets) socket.destroy();
    },
    close: async () => undefined,
  };
  const server = createServer((req, res) => {
    relay.requests.push(`${req.method} ${(req.url ?? '').split('?')[0]}`);
    if (relay.mode === 'cut') {
      req.socket.destroy();
      return;
    }
    if (relay.mode === 'fail') {
      const body = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>test says no</Message></Error>';
      res.writeHead(503, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    const forwarded = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.destroy());
    req.pipe(forwarded);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  relay.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  relay.close = () => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  return relay;
}
