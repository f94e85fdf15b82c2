import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A slow network in front of a subgraph: forwards each request after `delayMs`.
 * Records requests whose caller hung up before the answer (an aborted call).
 */
export class DelayProxy {
  delayMs = 0;
  aborted = 0;
  /** Every request that reached the proxy. */
  requests = 0;
  /** Drop this many next connections without answering (a subgraph restarting). */
  dropNext = 0;
  /** Forward this many next requests, then drop their answers (the write committed, the caller never hears). */
  loseNextAnswers = 0;
  /** Requests received and not yet answered or abandoned. */
  pending = 0;
  private server?: http.Server;

  constructor(private readonly target: string) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      // Probes (the gateway checks each subgraph's /ready in the background) pass straight
      // through, neither slowed nor counted: the knobs and counters are about GraphQL calls.
      if (req.method === 'GET') return void this.passThrough(req, res);
      if (this.dropNext > 0) {
        this.dropNext -= 1;
        req.socket.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.requests += 1;
        let finished = false;
        this.pending += 1;
        res.on('close', () => {
          this.pending -= 1;
          if (!finished) this.aborted += 1;
        });
        // eslint-disable-next-line @typescript-eslint/no-misused-promises -- the body catches its own errors (502)
        const timer = setTimeout(async () => {
          if (res.destroyed) return;
          try {
            const upstream = await fetch(this.target, {
              method: 'POST',
              headers: Object.fromEntries(
                Object.entries(req.headers).filter(
                  ([name]) => !['host', 'content-length', 'connection'].includes(name),
                ),
              ) as Record<string, string>,
              body: Buffer.concat(chunks),
            });
            const body = Buffer.from(await upstream.arrayBuffer());
            finished = true;
            if (this.loseNextAnswers > 0) {
              this.loseNextAnswers -= 1;
              req.socket.destroy();
              return;
            }
            res.writeHead(upstream.status, {
              'content-type': upstream.headers.get('content-type') ?? 'application/json',
            });
            res.end(body);
          } catch {
            finished = true;
            res.writeHead(502).end();
          }
        }, this.delayMs);
        res.on('close', () => clearTimeout(timer));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/graphql`;
  }

  private passThrough(req: http.IncomingMessage, res: http.ServerResponse): void {
    fetch(new URL(req.url ?? '/', this.target)).then(
      async (upstream) => {
        const body = Buffer.from(await upstream.arrayBuffer());
        res
          .writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' })
          .end(body);
      },
      () => res.writeHead(502).end(),
    );
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
