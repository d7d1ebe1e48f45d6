// A pass-through proxy in front of the simulator's Linode API that records every request it relays:
// when, which endpoint, the status, and the rate-limit headers of the reply. What the account saw,
// whichever process sent it.
import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeEndpoint } from '../../activities/linode/endpoints.js';

export interface TappedRequest {
  at: number;
  endpoint: string;
  status: number;
  limit?: number;
  remaining?: number;
}

export interface LinodeTap {
  /** point LINODE_API_URL here */
  url: string;
  readonly requests: TappedRequest[];
  stop(): Promise<void>;
}

const numberHeader = (headers: IncomingHttpHeaders, name: string): number | undefined => {
  const raw = headers[name];
  return typeof raw === 'string' && raw !== '' ? Number(raw) : undefined;
};

export async function startLinodeTap(target: string): Promise<LinodeTap> {
  const upstream = new URL(target);
  const requests: TappedRequest[] = [];
  const server = createServer((req, res) => {
    const relay = request({
      host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers,
    }, (reply) => {
      const limit = numberHeader(reply.headers, 'x-ratelimit-limit');
      const remaining = numberHeader(reply.headers, 'x-ratelimit-remaining');
      requests.push({
        at: Date.now(), endpoint: describeEndpoint(req.method, req.url).name, status: reply.statusCode ?? 0,
        ...(limit === undefined ? {} : { limit }), ...(remaining === undefined ? {} : { remaining }),
      });
      res.writeHead(reply.statusCode ?? 502, reply.headers);
      reply.pipe(res);
    });
    relay.on('error', () => { res.destroy(); });
    req.pipe(relay);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
