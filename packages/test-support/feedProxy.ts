import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A man in the middle between a consumer and its owner's subgraph: forwards
 * every request as it came (its signature headers too), and adds to the owner's
 * feed (`GET /events`) the events `inject(after)` returns, as a
 * tampered network or a fake owner would. A read it has events to inject into
 * is answered at once with them alone, not forwarded: the owner would hold a
 * read that finds nothing new (`wait`) until its next commit. Reached at
 * `graphqlUrl` (the feed is at the same origin).
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
          const url = new URL(req.url ?? '/', origin);
          const after = BigInt(url.searchParams.get('after') ?? '0');
          const injected = url.pathname === '/events' ? inject(after) : [];
          if (injected.length > 0) {
            feedRequests += 1;
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ events: injected, next: Number(after) }));
            return;
          }
          const upstream = await fetch(`${origin}${req.url ?? '/'}`, {
            method: req.method,
            headers: Object.fromEntries(
              Object.entries(req.headers).filter(([name]) => !['host', 'content-length', 'connection'].includes(name)),
            ) as Record<string, string>,
            body: req.method === 'GET' || req.method === 'HEAD' ? undefined : Buffer.concat(chunks),
          });
          const body = Buffer.from(await upstream.arrayBuffer());
          if (url.pathname === '/events' && upstream.status === 200) feedRequests += 1;
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
