import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A man in the middle between a consumer and its owner's subgraph: forwards
 * every request as it came (its signature headers too), and adds to each page
 * of the owner's feed (`GET /events`) the events `inject(after)` returns, as a
 * tampered network or a fake owner would. Reached at `graphqlUrl` (the feed is
 * at the same origin).
 */
export async function startFeedProxy(
  target: string,
  inject: (after: bigint) => unknown[],
): Promise<{ graphqlUrl: string; feedRequests: () => number; stop: () => Promise<void> }> {
  const origin = new URL(target).origin;
  let feedRequests = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void (async () => {
        try {
          const upstream = await fetch(`${origin}${req.url ?? '/'}`, {
            method: req.method,
            headers: Object.fromEntries(
              Object.entries(req.headers).filter(([name]) => !['host', 'content-length', 'connection'].includes(name)),
            ) as Record<string, string>,
            body: req.method === 'GET' || req.method === 'HEAD' ? undefined : Buffer.concat(chunks),
          });
          let body = Buffer.from(await upstream.arrayBuffer());
          const url = new URL(req.url ?? '/', origin);
          if (url.pathname === '/events' && upstream.status === 200) {
            feedRequests += 1;
            const page = JSON.parse(body.toString('utf8')) as { events: unknown[]; next: number };
            body = Buffer.from(
              JSON.stringify({
                ...page,
                events: [...page.events, ...inject(BigInt(url.searchParams.get('after') ?? '0'))],
              }),
            );
          }
          res.writeHead(upstream.status, {
            'content-type': upstream.headers.get('content-type') ?? 'application/json',
          });
          res.end(body);
        } catch {
          res.writeHead(502).end();
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    graphqlUrl: `http://127.0.0.1:${port}/graphql`,
    feedRequests: () => feedRequests,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
