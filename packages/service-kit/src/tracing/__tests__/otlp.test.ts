import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import { extractTraceContext } from '../context';
import { flushTracing, startTracing, stopTracing, tracingStatus } from '../provider';
import { tracerFor } from '../spans';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

/** A stand-in OTLP/HTTP collector: what was POSTed to it, by path. */
async function collector() {
  const received: { path: string; contentType: string | undefined; body: string }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        contentType: req.headers['content-type'],
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    received,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('a process with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  it('exports its spans over OTLP/HTTP to <endpoint>/v1/traces, with its service name', async () => {
    const otlp = await collector();
    try {
      startTracing({ serviceName: 'car', env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url } });
      expect(tracingStatus()).toEqual({ enabled: true, recording: true, serviceName: 'car' });
      const span = tracerFor('car').startSpan(
        'POST /graphql',
        { kind: SpanKind.SERVER },
        extractTraceContext({ traceparent: `00-${TRACE}-00f067aa0ba902b7-01` }),
      );
      expect(span.isRecording()).toBe(true);
      span.end();
      await flushTracing();
      expect(otlp.received.map((request) => request.path)).toEqual(['/v1/traces']);
      const [request] = otlp.received;
      expect(request!.contentType).toBe('application/json');
      const body = JSON.parse(request!.body) as {
        resourceSpans: {
          resource: { attributes: { key: string; value: { stringValue?: string } }[] };
          scopeSpans: { scope: { name: string }; spans: { name: string; traceId: string }[] }[];
        }[];
      };
      const [resourceSpans] = body.resourceSpans;
      expect(resourceSpans!.resource.attributes).toContainEqual({ key: 'service.name', value: { stringValue: 'car' } });
      expect(
        resourceSpans!.scopeSpans.map((scope) => [scope.scope.name, scope.spans.map((s) => [s.name, s.traceId])]),
      ).toEqual([['car-check/car', [['POST /graphql', TRACE]]]]);
    } finally {
      await stopTracing();
      await otlp.close();
    }
  });
});
