import { randomUUID } from 'node:crypto';
import { ANONYMOUS, signRequest } from '@car-check/service-kit';
import { readEventStream } from '../../gateway/src/subgraphClient/sse';

/** The car subgraph's own selection of an event: its commit time is all the probe reads. */
const PROBE = 'subscription BenchProbe { carChanged { cursor car { updatedAt } } }';

/**
 * One subscriber straight at the car subgraph's stream, signed as the gateway signs (with the
 * graph's secret): the time from commit to the subgraph's delivery, without the gateway. Set
 * against the subscribers' figures, it says which side the latency is spent on.
 */
export class UpstreamProbe {
  private readonly abort = new AbortController();
  private measuring = false;
  readonly latencies: number[] = [];

  static async open(carGraphqlUrl: string, secret: Buffer): Promise<UpstreamProbe> {
    const probe = new UpstreamProbe();
    const body = JSON.stringify({ query: PROBE });
    const requestId = randomUUID();
    const caller = { ...ANONYMOUS, service: 'bench', scopes: ['car:read'] };
    const response = await fetch(carGraphqlUrl, {
      method: 'POST',
      signal: probe.abort.signal,
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        'x-request-id': requestId,
        ...(await signRequest(caller, { method: 'POST', url: carGraphqlUrl, body }, secret, {
          audience: 'car',
          requestId,
        })),
      },
      body,
    });
    if (response.status !== 200 || !response.body) throw new Error(`the upstream probe got HTTP ${response.status}`);
    void probe.read(response.body);
    return probe;
  }

  measure(): void {
    this.latencies.length = 0;
    this.measuring = true;
  }

  stop(): void {
    this.measuring = false;
  }

  close(): void {
    this.abort.abort();
  }

  private async read(body: AsyncIterable<Uint8Array>): Promise<void> {
    try {
      for await (const event of readEventStream(body)) {
        if (!this.measuring || event.event !== 'next') continue;
        const committed = /"updatedAt":"([^"]+)"/.exec(event.data)?.[1];
        if (committed) this.latencies.push(Date.now() - Date.parse(committed));
      }
    } catch {
      // Closed by close(): the run is over.
    }
  }
}
